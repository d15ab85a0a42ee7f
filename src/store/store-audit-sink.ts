/**
 * The audit sink in front of the event store.
 *
 * `write` is the hot path: it turns the chained record (hash-chain.ts; the log chains it once for
 * every sink) into a row and queues it. Rows go to the store in one transaction per batch, when `batchRows` are queued or
 * `flushIntervalMs` after the first unwritten row, one batch at a time and in order.
 *
 * What a crash can lose: the rows queued since the last committed batch (at most ~100 ms of
 * events while the store keeps up). A row that `flush()` (or `close()`) acknowledged is committed
 * (SQLite: synchronous=FULL; PostgreSQL: COMMIT). Nothing is lost on a clean shutdown: the log
 * hands over the chain's seal, then `close()` waits for the last batch. While the store is unreachable, batches
 * are retried with back-off and the queue grows up to `maxQueuedRows`; past that the oldest rows
 * are dropped and reported, and the chain shows the gap to `audit verify --db`.
 */
import type { AuditSink } from '../audit/audit-log.ts';
import type { ChainEntry } from '../audit/hash-chain.ts';
import { toStoredAlert, toStoredEvent, type EventStore, type StoredAlert, type StoredEvent } from './event-store.ts';

export interface StoreAuditSinkOptions {
  store: EventStore;
  onError?: (err: Error) => void;
  /** Tuning, for tests. Defaults: 500 rows, 100 ms, 100,000 rows. */
  limits?: { batchRows?: number; flushIntervalMs?: number; maxQueuedRows?: number };
}

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

export class StoreAuditSink implements AuditSink {
  readonly store: EventStore;
  private readonly onError: (err: Error) => void;
  private readonly batchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueuedRows: number;
  private events: StoredEvent[] = [];
  private alerts: StoredAlert[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private draining: Promise<void> | undefined;
  private failures = 0;
  private closing: Promise<void> | undefined;
  private dropped = 0;

  constructor(opts: StoreAuditSinkOptions) {
    this.store = opts.store;
    this.onError = opts.onError ?? ((err) => process.emitWarning(err));
    this.batchRows = opts.limits?.batchRows ?? 500;
    this.flushIntervalMs = opts.limits?.flushIntervalMs ?? 100;
    this.maxQueuedRows = opts.limits?.maxQueuedRows ?? 100_000;
  }

  write(entry: ChainEntry): void {
    if (this.closing) throw new Error(`event store ${this.store.location} is closed`);
    this.queue(entry);
    this.schedule();
  }

  private queue(e: ChainEntry): void {
    this.events.push(toStoredEvent(e));
    const alert = toStoredAlert(e);
    if (alert) this.alerts.push(alert);
    if (this.events.length > this.maxQueuedRows) {
      // Bounded memory beats an unbounded queue while the store is down; the gap stays visible.
      const n = this.events.length - this.maxQueuedRows;
      this.events.splice(0, n);
      this.dropped += n;
      if (this.dropped === n || this.dropped % 10_000 < n) this.onError(new Error(`event store ${this.store.location} unreachable: ${this.dropped} audit rows dropped so far`));
    }
  }

  private schedule(): void {
    // A full batch is written on the next turn of the event loop, never inside this write: the
    // SQLite driver is synchronous, and the request that filled the batch must not pay for it.
    if (this.events.length >= this.batchRows) this.immediate ??= setImmediate(() => this.background());
    else this.timer ??= setTimeout(() => this.background(), this.flushIntervalMs).unref();
  }

  private background(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = undefined;
    this.draining ??= this.drain()
      .catch((err: unknown) => {
        // Keep the rows and try again later, backing off to at most 30 s.
        this.failures++;
        this.onError(new Error(`event store ${this.store.location}: ${toError(err).message} (retrying)`));
        this.timer ??= setTimeout(() => this.background(), Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7))).unref();
      })
      .finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.events.length || this.alerts.length) {
      const events = this.events.slice(0, this.batchRows);
      // An alert row goes in with the batch holding its record (never before it).
      const all = events.length === this.events.length;
      const hashes = new Set(events.map((e) => e.hash));
      let k = 0;
      while (k < this.alerts.length && (all || hashes.has(this.alerts[k].record_hash))) k++;
      const alerts = this.alerts.slice(0, k);
      await this.store.insert(events, alerts);
      this.events.splice(0, events.length);
      this.alerts.splice(0, alerts.length);
      this.failures = 0;
    }
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    while (this.events.length || this.alerts.length || this.draining) {
      if (this.draining) {
        await this.draining;
        continue;
      }
      // A flush reports a failure instead of retrying forever: the caller decides.
      this.draining = this.drain().finally(() => (this.draining = undefined));
      await this.draining;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.flush().finally(() => {
      clearTimeout(this.timer);
      return this.store.close();
    });
    return this.closing;
  }
}
