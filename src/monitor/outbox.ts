/**
 * The durable delivery queue for alerts and audit webhook batches: a SQLite file in the state
 * directory. A message is committed (synchronous=FULL) before `enqueue` returns, so an alert
 * raised while its receiver is down survives a gateway restart and goes out when the receiver
 * returns. Several gateways may share the file: a claimed message is leased to one of them, and
 * a lease that expires (its gateway died mid-send) makes it claimable again, so delivery is at
 * least once; receivers deduplicate by the `X-Portcullis-Delivery` id.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export interface OutboxMessage {
  id: number;
  deliveryId: string;
  target: string;
  kind: string;
  body: string;
  createdAt: number;
  attempts: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL,
  target TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  lease_until INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (dead, next_at);
`;

/** One message body at most: a receiver's limits, and our memory, are bounded. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export class Outbox {
  readonly path: string;
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      closeSync(openSync(path, 'a', 0o600));
    }
    this.db = new DatabaseSync(path, { timeout: 5000 });
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = FULL');
    this.db.exec(SCHEMA);
  }

  enqueue(target: string, kind: string, body: string, now = Date.now()): string {
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new Error(`outbox: a ${kind} message for ${target} exceeds ${MAX_BODY_BYTES} bytes`);
    const deliveryId = randomUUID();
    this.db.prepare('INSERT INTO outbox (delivery_id, target, kind, body, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?)').run(deliveryId, target, kind, body, now, now);
    return deliveryId;
  }

  /** Leases up to `limit` due messages, oldest first. */
  claim(now: number, limit: number, leaseMs: number): OutboxMessage[] {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const rows = this.db
        .prepare('SELECT id, delivery_id, target, kind, body, created_at, attempts FROM outbox WHERE dead = 0 AND next_at <= ? AND lease_until <= ? ORDER BY id LIMIT ?')
        .all(now, now, limit) as { id: number; delivery_id: string; target: string; kind: string; body: string; created_at: number; attempts: number }[];
      const lease = this.db.prepare('UPDATE outbox SET lease_until = ? WHERE id = ?');
      for (const r of rows) lease.run(now + leaseMs, r.id);
      this.db.exec('COMMIT');
      return rows.map((r) => ({ id: Number(r.id), deliveryId: r.delivery_id, target: r.target, kind: r.kind, body: r.body, createdAt: Number(r.created_at), attempts: Number(r.attempts) }));
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  delivered(id: number): void {
    this.db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
  }

  /** Not delivered this time: try again at `nextAt`. */
  retry(id: number, error: string, nextAt: number, countAttempt = true): void {
    this.db.prepare('UPDATE outbox SET attempts = attempts + ?, last_error = ?, next_at = ?, lease_until = 0 WHERE id = ?').run(countAttempt ? 1 : 0, error.slice(0, 500), nextAt, id);
  }

  /** Given up: kept (dead) for inspection, never sent again. */
  giveUp(id: number, error: string): void {
    this.db.prepare('UPDATE outbox SET dead = 1, last_error = ?, lease_until = 0 WHERE id = ?').run(error.slice(0, 500), id);
  }

  pending(): number {
    return Number((this.db.prepare('SELECT COUNT(*) AS n FROM outbox WHERE dead = 0').get() as { n: number }).n);
  }

  dead(): { deliveryId: string; target: string; kind: string; error: string | null }[] {
    return (this.db.prepare('SELECT delivery_id, target, kind, last_error FROM outbox WHERE dead = 1 ORDER BY id').all() as { delivery_id: string; target: string; kind: string; last_error: string | null }[]).map((r) => ({
      deliveryId: r.delivery_id,
      target: r.target,
      kind: r.kind,
      error: r.last_error,
    }));
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
