/**
 * The event store for teams: PostgreSQL over a real connection (pg), tables in a configurable
 * schema. Batches go in as multi-row INSERTs inside one transaction; every query has a timeout
 * and the pool is bounded, so a slow database delays the audit batch, never a tool call.
 */
import pg from 'pg';
import { GROUPABLE, type AlertRow, type EventRow, type EventStore, type Groupable, type StoredAlert, type StoredEvent, type TimeRange } from './event-store.ts';
import { ALERT_COLUMNS, EVENT_COLUMNS, POSTGRES_MIGRATIONS } from './migrations.ts';

const ROWS_PER_STATEMENT = 500;

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

const isoOf = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v === null || v === undefined ? null : String(v));

function eventRow(r: Record<string, unknown>): EventRow {
  return {
    ...(r as unknown as EventRow),
    id: Number(r.id),
    seq: Number(r.seq),
    timestamp: isoOf(r.timestamp)!,
    details: r.details === null || r.details === undefined ? null : JSON.stringify(r.details),
  };
}

export class PostgresEventStore implements EventStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  private readonly pool: pg.Pool;
  private readonly s: string;

  constructor(opts: { url: string; schema?: string; poolSize?: number }) {
    this.location = redactUrl(opts.url);
    const schema = opts.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name '${schema}'`);
    this.s = `"${schema}"`;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 4,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      query_timeout: 15_000,
      statement_timeout: 15_000,
      application_name: 'portcullis',
    });
    // An idle client that loses its connection must not crash the gateway.
    this.pool.on('error', () => {});
  }

  private t(name: string): string {
    return `${this.s}.${name}`;
  }

  async migrate(): Promise<number> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`portcullis-migrate:${this.s}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.t('schema_migrations')} (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
      const { rows } = await c.query(`SELECT COALESCE(MAX(version), 0) AS v FROM ${this.t('schema_migrations')}`);
      let v = Number(rows[0].v);
      for (const m of POSTGRES_MIGRATIONS) {
        if (m.version <= v) continue;
        await c.query(m.sql.replaceAll('S.', `${this.s}.`));
        await c.query(`INSERT INTO ${this.t('schema_migrations')} (version, description) VALUES ($1, $2)`, [m.version, m.description]);
        v = m.version;
      }
      await c.query('COMMIT');
      return v;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async insert(events: StoredEvent[], alerts: StoredAlert[]): Promise<void> {
    if (!events.length && !alerts.length) return;
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
        await this.insertRows(c, 'mcp_security_events', EVENT_COLUMNS, events.slice(i, i + ROWS_PER_STATEMENT) as unknown as Record<string, unknown>[]);
      }
      if (alerts.length) await this.insertRows(c, 'security_alerts', ALERT_COLUMNS, alerts as unknown as Record<string, unknown>[]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async insertRows(c: pg.PoolClient, table: string, cols: readonly string[], rows: Record<string, unknown>[]): Promise<void> {
    const values: unknown[] = [];
    const tuples = rows.map((r) => `(${cols.map((col) => `$${values.push(r[col])}`).join(', ')})`);
    await c.query(`INSERT INTO ${this.t(table)} (${cols.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }

  async countBy(column: Groupable, r: TimeRange, limit: number): Promise<{ key: string | null; count: number }[]> {
    if (!GROUPABLE.includes(column)) throw new Error(`cannot group by ${column}`);
    const { rows } = await this.pool.query(
      `SELECT ${column} AS key, COUNT(*) AS count FROM ${this.t('mcp_security_events')} WHERE timestamp >= $1 AND timestamp < $2 AND event_type <> 'audit_checkpoint' GROUP BY ${column} ORDER BY count DESC, key LIMIT $3`,
      [r.since, r.until, limit],
    );
    return rows.map((x) => ({ key: x.key === null ? null : String(x.key), count: Number(x.count) }));
  }

  async hourly(r: TimeRange): Promise<{ hour: string; count: number }[]> {
    const { rows } = await this.pool.query(
      `SELECT to_char(date_trunc('hour', timestamp AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:00:00.000"Z"') AS hour, COUNT(*) AS count FROM ${this.t('mcp_security_events')} WHERE timestamp >= $1 AND timestamp < $2 AND event_type <> 'audit_checkpoint' GROUP BY 1 ORDER BY 1`,
      [r.since, r.until],
    );
    return rows.map((x) => ({ hour: String(x.hour), count: Number(x.count) }));
  }

  async total(r: TimeRange): Promise<number> {
    const { rows } = await this.pool.query(`SELECT COUNT(*) AS n FROM ${this.t('mcp_security_events')} WHERE timestamp >= $1 AND timestamp < $2 AND event_type <> 'audit_checkpoint'`, [r.since, r.until]);
    return Number(rows[0].n);
  }

  async recentEvents(r: TimeRange, opts: { types?: string[]; typePrefix?: string; limit: number }): Promise<EventRow[]> {
    const where = ['timestamp >= $1', 'timestamp < $2', "event_type <> 'audit_checkpoint'"];
    const args: unknown[] = [r.since, r.until];
    if (opts.types?.length) where.push(`event_type = ANY($${args.push(opts.types)})`);
    if (opts.typePrefix) where.push(`left(event_type, ${Number(opts.typePrefix.length)}) = $${args.push(opts.typePrefix)}`);
    const { rows } = await this.pool.query(`SELECT * FROM ${this.t('mcp_security_events')} WHERE ${where.join(' AND ')} ORDER BY timestamp DESC, id DESC LIMIT $${args.push(opts.limit)}`, args);
    return rows.map(eventRow);
  }

  async alerts(r: TimeRange, limit: number): Promise<AlertRow[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.t('security_alerts')} WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at DESC, id DESC LIMIT $3`, [r.since, r.until, limit]);
    return rows.map((x) => ({
      ...(x as AlertRow),
      id: Number(x.id),
      data: JSON.stringify(x.data),
      created_at: isoOf(x.created_at)!,
      acknowledged_at: isoOf(x.acknowledged_at),
    }));
  }

  async acknowledgeAlert(id: number, by: string, at: Date): Promise<boolean> {
    const r = await this.pool.query(`UPDATE ${this.t('security_alerts')} SET acknowledged = TRUE, acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND NOT acknowledged`, [at, by, id]);
    return (r.rowCount ?? 0) > 0;
  }

  async readChain(afterId: number, limit: number): Promise<EventRow[]> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.t('mcp_security_events')} WHERE id > $1 ORDER BY id LIMIT $2`, [afterId, limit]);
    return rows.map(eventRow);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
