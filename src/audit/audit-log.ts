/**
 * The audit writer: one JSON object per line, batched off the hot path.
 *
 * `emit` is synchronous and cheap: filter by event, strip or redact arguments, hand the record to
 * each sink. The file sink serializes at once (later mutation of the record cannot change what was
 * logged) and writes in batches: when 64 KiB are buffered or 100 ms after the first unwritten
 * record. Audit failures never throw into a request; they go to `onError`.
 */
import type { AuditEventName } from '../config/schema.ts';
import { redactArguments } from './redact.ts';

export interface AuditRecord {
  time: string;
  event: AuditEventName;
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
}

export class AuditLog {
  readonly level: AuditLevel;
  private readonly sinks: AuditSink[];
  private readonly events: ReadonlySet<AuditEventName>;
  private readonly onError: (err: Error) => void;
  private readonly clock: () => Date;

  constructor(opts: AuditLogOptions) {
    this.sinks = [...opts.sinks];
    this.events = new Set(opts.events);
    this.level = opts.level;
    this.onError = opts.onError ?? ((err) => process.emitWarning(err));
    this.clock = opts.clock ?? (() => new Date());
  }

  emit(rec: Omit<AuditRecord, 'time'> & { time?: string }): void {
    if (!this.events.has(rec.event)) return;
    try {
      const { time, args, detail, ...rest } = rec;
      const out: AuditRecord = { time: time ?? this.clock().toISOString(), ...rest };
      if (args !== undefined && this.level !== 'summary') out.args = redactArguments(args);
      // Detail is gateway-built but may quote untrusted input, so it is bounded and redacted too.
      if (detail !== undefined) out.detail = redactArguments(detail) as Record<string, unknown>;
      for (const sink of this.sinks) {
        try {
          sink.write(out);
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
