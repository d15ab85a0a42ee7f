/**
 * The audit writer: one JSON object per line, batched off the hot path.
 *
 * `emit` is synchronous and cheap: filter by event, strip or redact arguments, hand the record to
 * each sink. The file sink serializes at once (later mutation of the record cannot change what was
 * logged) and writes in batches: when 64 KiB are buffered or 100 ms after the first unwritten
 * record. Audit failures never throw into a request; they go to `onError`.
 *
 * Observers (alert rules, metrics) see every record, including events the `events` list keeps
 * out of the sinks: an operator who trims the log must not switch off an alert by accident. The
 * operator's own actions and the alerts (`ALWAYS_AUDITED`) are recorded whatever the list says.
 */
import type { AuditEventName } from '../config/schema.ts';
import { redactArguments } from './redact.ts';
import { severityOf, type Severity } from './severity.ts';

/** Lockdown, revocation, isolation and alerts: the audit of the audit's readers is not optional. */
export const ALWAYS_AUDITED: readonly AuditEventName[] = ['alert_raised', 'lockdown_enabled', 'lockdown_disabled', 'tokens_revoked', 'server_disabled', 'server_enabled'];

export interface AuditRecord {
  time: string;
  event: AuditEventName;
  severity?: Severity;
  session?: string;
  connection?: string;
  principal?: string;
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
  /** Takes ownership of nothing: must not keep or mutate `rec` after returning. */
  write(rec: AuditRecord): void;
  /** Resolves once everything written before the call is on disk (handed to the OS). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export { FileAuditSink, type FileAuditSinkOptions } from './file-audit-sink.ts';

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export type AuditLevel = 'summary' | 'detailed' | 'debug';

export interface AuditLogOptions {
  sinks: AuditSink[];
  events: readonly AuditEventName[];
  /** `summary` drops arguments; `detailed` and `debug` keep them redacted (`debug` callers add result sizes to `detail`). */
  level: AuditLevel;
  /** @default process.emitWarning */
  onError?: (err: Error) => void;
  clock?: () => Date;
  /** Called with every record after the sinks, whatever `events` says; must not throw or block. */
  observers?: AuditObserver[];
}

export type AuditObserver = (rec: Readonly<AuditRecord>) => void;

export class AuditLog {
  readonly level: AuditLevel;
  private readonly sinks: AuditSink[];
  private readonly events: ReadonlySet<AuditEventName>;
  private readonly onError: (err: Error) => void;
  private readonly clock: () => Date;
  private readonly observers: AuditObserver[];

  constructor(opts: AuditLogOptions) {
    this.sinks = [...opts.sinks];
    this.events = new Set([...opts.events, ...ALWAYS_AUDITED]);
    this.observers = [...(opts.observers ?? [])];
    this.level = opts.level;
    this.onError = opts.onError ?? ((err) => process.emitWarning(err));
    this.clock = opts.clock ?? (() => new Date());
  }

  /** Adds an observer after construction (the alert engine needs the log it writes alerts to). */
  observe(fn: AuditObserver): void {
    this.observers.push(fn);
  }

  emit(rec: Omit<AuditRecord, 'time'> & { time?: string }): void {
    const logged = this.events.has(rec.event);
    if (!logged && !this.observers.length) return;
    try {
      const { time, args, detail, severity, ...rest } = rec;
      const out: AuditRecord = { time: time ?? this.clock().toISOString(), ...rest, severity: severity ?? severityOf(rec.event) };
      if (args !== undefined && this.level !== 'summary') out.args = redactArguments(args);
      // Detail is gateway-built but may quote untrusted input, so it is bounded and redacted too.
      if (detail !== undefined) out.detail = redactArguments(detail) as Record<string, unknown>;
      if (logged) {
        for (const sink of this.sinks) {
          try {
            sink.write(out);
          } catch (err) {
            this.onError(toError(err));
          }
        }
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
    await Promise.all(this.sinks.map((s) => s.flush().catch((err: unknown) => this.onError(toError(err)))));
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close().catch((err: unknown) => this.onError(toError(err)))));
  }
}
