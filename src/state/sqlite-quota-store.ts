/**
 * Quota counters in an embedded SQLite file (`node:sqlite`), so a restart does not hand every
 * caller a fresh quota.
 *
 * Each update is one `BEGIN IMMEDIATE` transaction: atomic within the process and against another
 * gateway sharing the file. WAL with `synchronous=NORMAL` survives a process crash (the counters'
 * worst case on a power loss is the last few calls). Expired rows are swept every few hundred
 * updates; past `maxEntries` live rows, new keys are refused (the call fails closed) rather than
 * old counters being dropped, which would reset someone's quota.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { quotaTtlMs, type QuotaLimit, type QuotaState } from '../policy/quota.ts';
import { applyQuota, type QuotaResult, type QuotaStore } from './quota-store.ts';

export interface SqliteQuotaStoreOptions {
  path: string;
  /** @default 1_000_000 */
  maxEntries?: number;
  clock?: () => number;
}

const SWEEP_EVERY = 500;

export class SqliteQuotaStore implements QuotaStore {
  private readonly db: DatabaseSync;
  private readonly get: StatementSync;
  private readonly put: StatementSync;
  private readonly sweepStmt: StatementSync;
  private readonly countStmt: StatementSync;
  private readonly clock: () => number;
  private readonly maxEntries: number;
  private updates = 0;
  private full = false;

  constructor(opts: SqliteQuotaStoreOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new DatabaseSync(opts.path);
    this.db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=2000;');
    this.db.exec('CREATE TABLE IF NOT EXISTS quota (key TEXT PRIMARY KEY, state TEXT NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID');
    this.get = this.db.prepare('SELECT state, expires_ms FROM quota WHERE key = ?');
    this.put = this.db.prepare('INSERT INTO quota (key, state, expires_ms) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET state = excluded.state, expires_ms = excluded.expires_ms');
    this.sweepStmt = this.db.prepare('DELETE FROM quota WHERE expires_ms <= ?');
    this.countStmt = this.db.prepare('SELECT count(*) AS n FROM quota');
    this.clock = opts.clock ?? Date.now;
    this.maxEntries = opts.maxEntries ?? 1_000_000;
    this.sweep();
  }

  consumeQuota(key: string, limits: readonly QuotaLimit[], nowMs: number, opts: { spend?: boolean } = {}): QuotaResult {
    let result: QuotaResult | undefined;
    this.updateQuota(
      key,
      (prev) => {
        const a = applyQuota(prev, limits, nowMs, opts.spend ?? true);
        result = a.result;
        return a.next;
      },
      quotaTtlMs(limits),
    );
    return result!;
  }

  /** One read-modify-write in a `BEGIN IMMEDIATE` transaction (what `consumeQuota` runs on). */
  updateQuota(key: string, fn: (prev: QuotaState | undefined) => QuotaState, ttlMs: number): QuotaState {
    const now = this.clock();
    if (++this.updates % SWEEP_EVERY === 0) this.sweep();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.get.get(key) as { state: string; expires_ms: number } | undefined;
      const live = row && row.expires_ms > now ? (JSON.parse(row.state) as QuotaState) : undefined;
      if (!row && this.full) throw new Error(`quota store full (${this.maxEntries} counters)`);
      const next = fn(live);
      this.put.run(key, JSON.stringify(next), now + ttlMs);
      this.db.exec('COMMIT');
      return next;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private sweep(): void {
    this.sweepStmt.run(this.clock());
    this.full = (this.countStmt.get() as { n: number }).n >= this.maxEntries;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
