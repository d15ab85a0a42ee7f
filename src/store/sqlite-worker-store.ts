/**
 * The SQLite event store as the gateway uses it: the same store (sqlite-event-store.ts), run in a
 * worker thread. A batch of rows is handed over with one message and committed there, so neither
 * the inserts nor the fsync of `synchronous=FULL` run on the event loop that serves requests.
 * The CLI (report, verify) opens the file directly.
 */
import { Worker } from 'node:worker_threads';
import type { AlertRow, EventRow, EventStore, Groupable, StoredAlert, StoredEvent, TimeRange } from './event-store.ts';
import { alertValues, eventValues } from './migrations.ts';

/** `.ts` from the sources, `.js` from the built package (dist/): the worker is this module's sibling. */
const OWN_EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class SqliteWorkerStore implements EventStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(path: string) {
    this.location = path;
  }

  private start(): Worker {
    const w = new Worker(new URL(`./sqlite-worker${OWN_EXT}`, import.meta.url), { workerData: { path: this.location } });
    w.unref();
    w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (!this.pending.size) w.unref();
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    // A worker that dies fails what it held; the next call starts a new one (the sink retries).
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(err);
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the SQLite worker exited (${code})`)));
    return w;
  }

  private call<T>(op: string, ...args: unknown[]): Promise<T> {
    if (this.closed && op !== 'close') return Promise.reject(new Error(`event store ${this.location} is closed`));
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      // Referenced while a request is out: an awaited batch keeps the process alive until it is committed.
      w.ref();
      w.postMessage({ id, op, args });
    });
  }

  migrate(): Promise<number> {
    return this.call('migrate');
  }
  insert(events: StoredEvent[], alerts: StoredAlert[]): Promise<void> {
    return this.call('insertValues', events.map(eventValues), alerts.map(alertValues));
  }
  countBy(column: Groupable, range: TimeRange, limit: number): Promise<{ key: string | null; count: number }[]> {
    return this.call('countBy', column, range, limit);
  }
  hourly(range: TimeRange): Promise<{ hour: string; count: number }[]> {
    return this.call('hourly', range);
  }
  total(range: TimeRange): Promise<number> {
    return this.call('total', range);
  }
  recentEvents(range: TimeRange, opts: { types?: string[]; typePrefix?: string; limit: number }): Promise<EventRow[]> {
    return this.call('recentEvents', range, opts);
  }
  alerts(range: TimeRange, limit: number): Promise<AlertRow[]> {
    return this.call('alerts', range, limit);
  }
  acknowledgeAlert(id: number, by: string, at: Date): Promise<boolean> {
    return this.call('acknowledgeAlert', id, by, at);
  }
  readChain(afterId: number, limit: number): Promise<EventRow[]> {
    return this.call('readChain', afterId, limit);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const w = this.worker;
    if (!w) return;
    await this.call('close').catch(() => {});
    this.worker = undefined;
    await w.terminate();
  }
}
