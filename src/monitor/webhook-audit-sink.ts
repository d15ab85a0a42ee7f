/**
 * The seed's audit webhook destination: batches of chained audit records POSTed to the
 * configured URL with its headers, through the durable outbox (retried with back-off, kept
 * across restarts). A batch is queued every second or every `batchSize` records, so the hot
 * path only chains and buffers. Body: `{"type":"portcullis.audit","records":[...]}`; each
 * record carries its chain fields, so the receiver can verify it has them all.
 */
import type { AuditSink } from '../audit/audit-log.ts';
import type { ChainEntry } from '../audit/hash-chain.ts';
import type { Outbox } from './outbox.ts';

export interface WebhookAuditSinkOptions {
  outbox: Outbox;
  target: string;
  batchSize: number;
  /** Called after a batch is queued (to start delivery at once). */
  onQueued?: () => void;
  flushIntervalMs?: number;
  onError?: (err: Error) => void;
}

const BATCH_BYTES = 1 << 20;
const MAX_LINES = 100_000;

export class WebhookAuditSink implements AuditSink {
  private readonly o: WebhookAuditSinkOptions;
  private lines: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(o: WebhookAuditSinkOptions) {
    this.o = o;
  }

  write(entry: ChainEntry): void {
    if (this.closed) throw new Error('audit webhook sink is closed');
    this.push([entry.line]);
  }

  private push(lines: string[]): void {
    this.lines.push(...lines);
    if (this.lines.length > MAX_LINES) {
      // The outbox keeps failing (disk full?): memory stays bounded; the chain shows the gap.
      this.lines.splice(0, this.lines.length - MAX_LINES);
      this.o.onError?.(new Error(`audit webhook: outbox unavailable, records dropped beyond ${MAX_LINES}`));
    }
    if (this.lines.length >= this.o.batchSize) this.queueBatch();
    else this.timer ??= setTimeout(() => this.queueBatch(), this.o.flushIntervalMs ?? 1000).unref();
  }

  private queueBatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      while (this.lines.length) {
        // At most batchSize records and about 1 MiB per POST.
        let n = 0;
        for (let bytes = 0; n < this.lines.length && n < this.o.batchSize && (n === 0 || bytes + this.lines[n].length < BATCH_BYTES); n++) bytes += this.lines[n].length;
        const batch = this.lines.slice(0, n);
        this.o.outbox.enqueue(this.o.target, 'audit', `{"type":"portcullis.audit","records":[${batch.join(',')}]}`);
        this.lines.splice(0, n);
      }
      this.o.onQueued?.();
    } catch (err) {
      // Kept in memory for the next try; a timer callback must never throw.
      this.o.onError?.(err as Error);
    }
  }

  /** Queued in the outbox (on disk) is what flush promises; delivery follows on its own. */
  async flush(): Promise<void> {
    this.queueBatch();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queueBatch();
  }
}
