/**
 * The embedded event store: one SQLite file through node:sqlite.
 *
 * WAL with `synchronous=FULL`: a committed batch survives a process crash and a power cut, and
 * readers (`portcullis report`, `audit verify --db`) never block the writer. Several gateways
 * (one per stdio client) may share the file; `busy_timeout` makes them take turns. node:sqlite
 * is synchronous, so each batch runs on the event loop: one transaction of up to a few hundred
 * rows, about a millisecond, every 100 ms at most (measured in docs/monitoring.md).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { GROUPABLE, type AlertRow, type EventRow, type EventStore, type Groupable, type StoredAlert, type StoredEvent, type TimeRange } from './event-store.ts';
import { ALERT_COLUMNS, alertValues, EVENT_COLUMNS, eventValues, SQLITE_MIGRATIONS } from './migrations.ts';

const iso = (d: Date): string => d.toISOString();

export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: DatabaseSync;
  private insertEvent?: StatementSync;
  private insertAlert?: StatementSync;

  constructor(path: string, opts: { readOnly?: boolean } = {}) {
    this.location = path;
    if (!opts.readOnly && path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Created 0600 before SQLite opens it (its -wal and -shm files copy the mode): events name principals.
      closeSync(openSync(path, 'a', 0o600));
    }
    this.db = new DatabaseSync(path, { readOnly: opts.readOnly ?? false, timeout: 5000 });
    if (!opts.readOnly) {
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec('PRAGMA synchronous = FULL');
    }
  }

  async migrate(): Promise<number> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number };
      let v = Number(row.v);
      for (const m of SQLITE_MIGRATIONS) {
        if (m.version <= v) continue;
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(m.version, m.description, iso(new Date()));
        v = m.version;
      }
      this.db.exec('COMMIT');
      return v;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async insert(events: StoredEvent[], alerts: StoredAlert[]): Promise<void> {
    return this.insertValues(events.map(eventValues), alerts.map(alertValues));
  }

  /**
   * The same rows as `insert`, each as its values in EVENT_COLUMNS / ALERT_COLUMNS order: what the
   * worker thread is sent (an array of values is cloned across threads in less than half the time
   * of an object with its 21 keys).
   */
  async insertValues(events: readonly SQLInputValue[][], alerts: readonly SQLInputValue[][]): Promise<void> {
    if (!events.length && !alerts.length) return;
    this.insertEvent ??= this.db.prepare(`INSERT INTO mcp_security_events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`);
    this.insertAlert ??= this.db.prepare(`INSERT INTO security_alerts (${ALERT_COLUMNS.join(', ')}) VALUES (${ALERT_COLUMNS.map(() => '?').join(', ')})`);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const e of events) this.insertEvent.run(...e);
      for (const a of alerts) this.insertAlert.run(...a);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async countBy(column: Groupable, r: TimeRange, limit: number): Promise<{ key: string | null; count: number }[]> {
    if (!GROUPABLE.includes(column)) throw new Error(`cannot group by ${column}`);
    const rows = this.db
      .prepare(`SELECT ${column} AS key, COUNT(*) AS count FROM mcp_security_events WHERE timestamp >= ? AND timestamp < ? AND event_type <> 'audit_checkpoint' GROUP BY ${column} ORDER BY count DESC, key LIMIT ?`)
      .all(iso(r.since), iso(r.until), limit) as { key: string | null; count: number }[];
    return rows.map((x) => ({ key: x.key, count: Number(x.count) }));
  }

  async hourly(r: TimeRange): Promise<{ hour: string; count: number }[]> {
    const rows = this.db
      .prepare(`SELECT substr(timestamp, 1, 13) || ':00:00.000Z' AS hour, COUNT(*) AS count FROM mcp_security_events WHERE timestamp >= ? AND timestamp < ? AND event_type <> 'audit_checkpoint' GROUP BY hour ORDER BY hour`)
      .all(iso(r.since), iso(r.until)) as { hour: string; count: number }[];
    return rows.map((x) => ({ hour: x.hour, count: Number(x.count) }));
  }

  async total(r: TimeRange): Promise<number> {
    const row = this.db.prepare("SELECT COUNT(*) AS n FROM mcp_security_events WHERE timestamp >= ? AND timestamp < ? AND event_type <> 'audit_checkpoint'").get(iso(r.since), iso(r.until)) as { n: number };
    return Number(row.n);
  }

  async recentEvents(r: TimeRange, opts: { types?: string[]; typePrefix?: string; limit: number }): Promise<EventRow[]> {
    const where = ['timestamp >= ?', 'timestamp < ?', "event_type <> 'audit_checkpoint'"];
    const args: (string | number)[] = [iso(r.since), iso(r.until)];
    if (opts.types?.length) {
      where.push(`event_type IN (${opts.types.map(() => '?').join(', ')})`);
      args.push(...opts.types);
    }
    if (opts.typePrefix) {
      where.push("substr(event_type, 1, ?) = ?");
      args.push(opts.typePrefix.length, opts.typePrefix);
    }
    args.push(opts.limit);
    return this.db.prepare(`SELECT * FROM mcp_security_events WHERE ${where.join(' AND ')} ORDER BY timestamp DESC, id DESC LIMIT ?`).all(...args) as unknown as EventRow[];
  }

  async alerts(r: TimeRange, limit: number): Promise<AlertRow[]> {
    const rows = this.db.prepare('SELECT * FROM security_alerts WHERE created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?').all(iso(r.since), iso(r.until), limit) as Record<string, unknown>[];
    return rows.map((x) => ({ ...(x as unknown as AlertRow), acknowledged: Boolean(x.acknowledged) }));
  }

  async acknowledgeAlert(id: number, by: string, at: Date): Promise<boolean> {
    const r = this.db.prepare('UPDATE security_alerts SET acknowledged = 1, acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND acknowledged = 0').run(iso(at), by, id);
    return Number(r.changes) > 0;
  }

  async readChain(afterId: number, limit: number): Promise<EventRow[]> {
    return this.db.prepare('SELECT * FROM mcp_security_events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as unknown as EventRow[];
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
