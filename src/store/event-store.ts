/**
 * The event store: every audit record as a row of `mcp_security_events` (the seed's table, plus
 * the chain columns) and every alert as a row of `security_alerts`, behind one interface with
 * two implementations: embedded SQLite (node:sqlite, the default) and PostgreSQL (pg).
 *
 * A row keeps the record's exact hashed bytes (`record`) and hash, so `audit verify --db` checks
 * the chain over the store, and checks that the query columns still say what the record says.
 */
import { isIP } from 'node:net';
import type { ChainEntry } from '../audit/hash-chain.ts';

/** One audit record as stored. Column names are the seed's where it has one. */
export interface StoredEvent {
  timestamp: string;
  event_type: string;
  severity: string;
  session_id: string | null;
  connection_id: string | null;
  principal: string | null;
  skill_name: string | null;
  tool_name: string | null;
  method: string | null;
  decision: string | null;
  reason: string | null;
  code: string | null;
  latency_ms: number | null;
  details: string | null;
  ip_address: string | null;
  user_agent: string | null;
  chain_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
  record: string;
}

export interface StoredAlert {
  alert_type: string;
  severity: string;
  message: string;
  data: string;
  created_at: string;
  dedup_key: string;
  suppressed: number;
  record_hash: string;
}

export interface AlertRow extends StoredAlert {
  id: number;
  acknowledged: boolean;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export interface EventRow extends StoredEvent {
  id: number;
}

export interface TimeRange {
  since: Date;
  until: Date;
}

/** Columns a report may group by: a fixed list, never caller text, so no SQL is built from input. */
export const GROUPABLE = ['event_type', 'severity', 'tool_name', 'connection_id', 'skill_name', 'principal', 'decision', 'code'] as const;
export type Groupable = (typeof GROUPABLE)[number];

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where it is, for messages: never a password. */
  readonly location: string;
  /** Brings the schema to the current version; safe when several gateways start at once. */
  migrate(): Promise<number>;
  /** One transaction: all rows or none. */
  insert(events: StoredEvent[], alerts: StoredAlert[]): Promise<void>;
  countBy(column: Groupable, range: TimeRange, limit: number): Promise<{ key: string | null; count: number }[]>;
  /** Events per UTC hour, for the hours that have any. */
  hourly(range: TimeRange): Promise<{ hour: string; count: number }[]>;
  total(range: TimeRange): Promise<number>;
  /** Newest first; `types` filters by event type, `typePrefix` by a prefix (e.g. `pin_`). */
  recentEvents(range: TimeRange, opts: { types?: string[]; typePrefix?: string; limit: number }): Promise<EventRow[]>;
  alerts(range: TimeRange, limit: number): Promise<AlertRow[]>;
  acknowledgeAlert(id: number, by: string, at: Date): Promise<boolean>;
  /** For `audit verify --db`: rows in insertion order, `limit` at a time after `afterId`. */
  readChain(afterId: number, limit: number): Promise<EventRow[]>;
  close(): Promise<void>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v));

/** `http:203.0.113.7:51234` → `203.0.113.7`; stdio connections have no address. */
export function ipOf(connection: unknown): string | null {
  if (typeof connection !== 'string' || !connection.startsWith('http:')) return null;
  const rest = connection.slice(5);
  const i = rest.lastIndexOf(':');
  const ip = (i > 0 && /^\d+$/.test(rest.slice(i + 1)) ? rest.slice(0, i) : rest).replace(/^::ffff:/, '');
  return isIP(ip) ? ip : null;
}

/** The row for one chained record. */
export function toStoredEvent(e: ChainEntry): StoredEvent {
  const r = e.record;
  const detail = r.detail as Record<string, unknown> | undefined;
  const extra: Record<string, unknown> = {};
  if (r.args !== undefined) extra.args = r.args;
  if (detail !== undefined) extra.detail = detail;
  if (r.rule !== undefined) extra.rule = r.rule;
  if (r.requestId !== undefined) extra.requestId = r.requestId;
  const client = r.event === 'connection_established' && detail ? [detail.client, detail.clientVersion].filter(Boolean).join('/') : '';
  return {
    timestamp: String(r.time),
    event_type: String(r.event),
    severity: String(r.severity ?? 'info'),
    session_id: str(r.session),
    connection_id: str(r.connection),
    principal: str(r.principal),
    skill_name: str(r.server),
    tool_name: str(r.tool),
    method: str(r.method),
    decision: str(r.decision),
    reason: str(r.reason),
    code: str(r.code),
    latency_ms: typeof r.latencyMs === 'number' ? r.latencyMs : null,
    details: Object.keys(extra).length ? JSON.stringify(extra) : null,
    ip_address: ipOf(r.connection),
    user_agent: client || null,
    chain_id: String(r.chain),
    seq: Number(r.seq),
    prev_hash: String(r.prev),
    hash: e.hash,
    record: e.body,
  };
}

/** The alert row for an `alert_raised` record (its detail is what the alert engine wrote). */
export function toStoredAlert(e: ChainEntry): StoredAlert | undefined {
  const r = e.record;
  const d = r.detail as { alert?: { type?: string; message?: string; data?: unknown; group?: string; suppressed?: number } } | undefined;
  const a = d?.alert;
  if (r.event !== 'alert_raised' || !a?.type) return undefined;
  return {
    alert_type: a.type,
    severity: String(r.severity ?? 'high'),
    message: String(a.message ?? ''),
    data: JSON.stringify(a.data ?? {}),
    created_at: String(r.time),
    dedup_key: String(a.group ?? a.type),
    suppressed: Number(a.suppressed ?? 0),
    record_hash: e.hash,
  };
}

/** The columns a verifier compares with the hashed record (a changed column would mislead a report). */
export function columnMismatch(row: EventRow, rec: Record<string, unknown>): string | undefined {
  const checks: [string, unknown, unknown][] = [
    ['event_type', row.event_type, rec.event],
    ['severity', row.severity, rec.severity ?? 'info'],
    ['session_id', row.session_id, rec.session ?? null],
    ['connection_id', row.connection_id, rec.connection ?? null],
    ['principal', row.principal, rec.principal ?? null],
    ['skill_name', row.skill_name, rec.server ?? null],
    ['tool_name', row.tool_name, rec.tool ?? null],
    ['decision', row.decision, rec.decision ?? null],
    ['code', row.code, rec.code ?? null],
    ['chain_id', row.chain_id, rec.chain],
    ['seq', Number(row.seq), rec.seq],
    ['prev_hash', row.prev_hash, rec.prev],
  ];
  for (const [col, a, b] of checks) if (a !== b) return col;
  if (Date.parse(row.timestamp) !== Date.parse(String(rec.time))) return 'timestamp';
  return undefined;
}
