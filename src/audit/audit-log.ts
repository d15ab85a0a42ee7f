/**
 * The audit writer: one JSON object per line, batched off the hot path.
 *
 * `emit` is synchronous and cheap: filter by event, strip or redact arguments, link the record into
 * the hash chain (hash-chain.ts) once, and hand the same chained entry to every sink, so the file,
 * the event store and the webhook hold identical records (same chain id, same hashes) that can be
 * compared. Sinks write in batches off the request. Audit failures never throw into a request;
 * they go to `onError`. `emitSoon` (a call's own record) does the same once the current turn of
 * the event loop has written its answers: the answer never waits for its record; the record's
 * time is taken at once, and records keep their order (anything emitted, flushed or closed first
 * emits what is queued).
 *
 * The log owns the chain's checkpoints: the `start` one when it opens, periodic ones (by count, in
 * the chain, and every `checkpointEverySeconds`), a `rotate-out`/`rotate-in` pair when the UTC day
 * changes and a sink rotates files, and the `close` seal on a clean shutdown.
 *
 * Observers (alert rules, metrics) see every record, including events the `events` list keeps
 * out of the sinks: an operator who trims the log must not switch off an alert by accident. The
 * operator's own actions and the alerts (`ALWAYS_AUDITED`) are recorded whatever the list says.
 */
import { TRANSACTION_EVENTS, type AuditEventName } from '../config/schema.ts';
import { HashChain, type ChainEntry } from './hash-chain.ts';
import { redactArguments } from './redact.ts';
import { severityOf, type Severity } from './severity.ts';

/** Lockdown, revocation, isolation and alerts: the audit of the audit's readers is not optional. */
export const ALWAYS_AUDITED: readonly AuditEventName[] = ['alert_raised', 'lockdown_enabled', 'lockdown_disabled', 'tokens_revoked', 'credentials_reinstated', 'server_disabled', 'server_enabled', 'approval_granted', 'approval_denied'];

export interface AuditRecord {
  time: string;
  event: AuditEventName;
  severity?: Severity;
  session?: string;
  connection?: string;
  principal?: string;
  /** How the principal was established: 'jwt', 'api-key', 'mtls', 'local-user', 'anonymous'. */
  authMethod?: string;
  server?: string;
  tool?: string;
  method?: string;
  requestId?: string | number;
  decision?: 'allow' | 'deny' | 'error';
  reason?: string;
  code?: string;
  rule?: string;
  /** The argument that decided a denial (argument-level policy). */
  argument?: string;
  latencyMs?: number;
  args?: unknown;
  detail?: Record<string, unknown>;
}

export interface AuditSink {
  /** One chained record (or checkpoint); the entry is shared by every sink and must not be mutated. */
  write(entry: ChainEntry): void;
  /** The UTC day changed: a sink that keeps daily files starts a new one here (between the checkpoints). */
  rotate?(day: string): void;
  /** Whether this sink wants `rotate` (the log adds the rotation checkpoints only then). */
  readonly rotatesDaily?: boolean;
  /** Resolves once everything written before the call is on disk (handed to the OS, or committed). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export { FileAuditSink, type FileAuditSinkOptions } from './file-audit-sink.ts';

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export type AuditLevel = 'summary' | 'detailed' | 'full' | 'debug';

export interface AuditLogOptions {
  sinks: AuditSink[];
  events: readonly AuditEventName[];
  /**
   * `summary` drops arguments; the others keep them redacted. `full` and `debug` also record the
   * successful reads and lists (TRANSACTION_EVENTS); `debug` callers add result sizes to `detail`.
   */
  level: AuditLevel;
  /** @default process.emitWarning */
  onError?: (err: Error) => void;
  clock?: () => Date;
  /** Called with every record after the sinks, whatever `events` says; must not throw or block. */
  observers?: AuditObserver[];
  /** The chain (signer, checkpoint interval); default: an unsigned chain. */
  chain?: HashChain;
  /** A checkpoint this often while records arrive (0: by count only). @default 60 */
  checkpointEverySeconds?: number;
}

export type AuditObserver = (rec: Readonly<AuditRecord>) => void;

export class AuditLog {
  readonly level: AuditLevel;
  private readonly sinks: AuditSink[];
  private readonly events: ReadonlySet<AuditEventName>;
  private readonly onError: (err: Error) => void;
  private readonly clock: () => Date;
  private readonly observers: AuditObserver[];
  private readonly chain: HashChain;
  private readonly rotating: boolean;
  private day: string;
  private readonly timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private soon: Array<{ rec: Omit<AuditRecord, 'time'> & { time?: string }; at: Date; then?: () => void }> = [];
  private soonTask: NodeJS.Immediate | undefined;

  constructor(opts: AuditLogOptions) {
    this.sinks = [...opts.sinks];
    const transactions = opts.level === 'full' || opts.level === 'debug' ? TRANSACTION_EVENTS : [];
    this.events = new Set([...opts.events, ...ALWAYS_AUDITED, ...transactions]);
    this.observers = [...(opts.observers ?? [])];
    this.level = opts.level;
    this.onError = opts.onError ?? ((err) => process.emitWarning(err));
    this.clock = opts.clock ?? (() => new Date());
    this.chain = opts.chain ?? new HashChain({ clock: this.clock });
    this.rotating = this.sinks.some((s) => s.rotatesDaily);
    this.day = this.clock().toISOString().slice(0, 10);
    if (!this.sinks.length) return; // nothing to chain for
    this.deliver(this.chain.begin());
    const every = (opts.checkpointEverySeconds ?? 60) * 1000;
    if (every > 0) {
      this.timer = setInterval(() => {
        if (!this.closing && this.chain.pending > 0) this.deliver(this.chain.checkpoint('periodic'));
      }, every).unref();
    }
  }

  private deliver(e: ChainEntry): void {
    for (const sink of this.sinks) {
      try {
        sink.write(e);
      } catch (err) {
        this.onError(toError(err));
      }
    }
  }

  /** At a UTC day change, files rotate between a `rotate-out` and a `rotate-in` checkpoint. */
  private turnDay(now?: string): void {
    const day = (now ?? this.clock().toISOString()).slice(0, 10);
    if (day === this.day) return;
    this.day = day;
    if (!this.rotating) return;
    this.deliver(this.chain.checkpoint('rotate-out'));
    for (const sink of this.sinks) {
      try {
        sink.rotate?.(day);
      } catch (err) {
        this.onError(toError(err));
      }
    }
    this.deliver(this.chain.checkpoint('rotate-in'));
  }

  /** Adds an observer after construction (the alert engine needs the log it writes alerts to). */
  observe(fn: AuditObserver): void {
    this.observers.push(fn);
  }

  /** Whether records of this event reach the destinations (a caller may skip building one that does not). */
  records(event: AuditEventName): boolean {
    return this.events.has(event) && this.sinks.length > 0;
  }

  /**
   * `emit` after this turn's I/O (setImmediate, one per turn for every record queued in it):
   * the record of a call whose answer is being written. `then` runs right after it (the call's
   * metrics). The time is read now.
   */
  emitSoon(rec: Omit<AuditRecord, 'time'> & { time?: string }, then?: () => void): void {
    // The clock is read now; the record is neither copied nor formatted until it is emitted.
    this.soon.push({ rec, at: this.clock(), then });
    this.soonTask ??= setImmediate(this.settleSoon);
  }

  private readonly settleSoon = (): void => this.settle();

  /** Emits the records `emitSoon` queued, in order, now. */
  settle(): void {
    clearImmediate(this.soonTask);
    this.soonTask = undefined;
    while (this.soon.length) {
      const batch = this.soon;
      this.soon = [];
      for (const { rec, at, then } of batch) {
        this.emitNow(rec, at);
        try {
          then?.();
        } catch (err) {
          this.onError(toError(err));
        }
      }
    }
  }

  emit(rec: Omit<AuditRecord, 'time'> & { time?: string }): void {
    if (this.soon.length) this.settle();
    this.emitNow(rec);
  }

  /** `at`: when the record was queued (emitSoon), else now. */
  private emitNow(rec: Omit<AuditRecord, 'time'> & { time?: string }, at?: Date): void {
    const logged = this.events.has(rec.event);
    if (!logged && !this.observers.length) return;
    try {
      const { time, args, detail, severity, ...rest } = rec;
      const now = time === undefined ? (at ?? this.clock()).toISOString() : undefined;
      const out: AuditRecord = { time: time ?? now!, ...rest, severity: severity ?? severityOf(rec.event) };
      if (args !== undefined && this.level !== 'summary') out.args = redactArguments(args);
      // Detail is gateway-built but may quote untrusted input, so it is bounded and redacted too.
      if (detail !== undefined) out.detail = redactArguments(detail) as Record<string, unknown>;
      if (logged && this.sinks.length) {
        if (this.closing) throw new Error('the audit log is closed');
        this.turnDay(now); // the clock read once per record
        for (const e of this.chain.append(out)) this.deliver(e);
      }
      for (const fn of this.observers) {
        try {
          fn(out);
        } catch (err) {
          this.onError(toError(err));
        }
      }
    } catch (err) {
      this.onError(toError(err));
    }
  }

  async flush(): Promise<void> {
    this.settle();
    await Promise.all(this.sinks.map((s) => s.flush().catch((err: unknown) => this.onError(toError(err)))));
  }

  /** Seals the chain (the `close` checkpoint), then drains and closes every sink. */
  close(): Promise<void> {
    if (!this.closing) {
      this.settle();
      clearInterval(this.timer);
      if (this.sinks.length) this.deliver(this.chain.checkpoint('close'));
      this.closing = Promise.all(this.sinks.map((s) => s.close().catch((err: unknown) => this.onError(toError(err))))).then(() => {});
    }
    return this.closing;
  }
}
