/**
 * Schema migrations of the event store, one list per dialect, applied in order inside one
 * transaction under a lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock), so several
 * gateways starting at once migrate exactly once. A version is never edited once released:
 * a change is a new entry.
 */
import type { StoredAlert, StoredEvent } from './event-store.ts';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'mcp_security_events and security_alerts (the seed tables, with the audit chain)',
    sql: `
CREATE TABLE mcp_security_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  timestamp TEXT NOT NULL,
  event_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  session_id TEXT,
  connection_id TEXT,
  principal TEXT,
  skill_name TEXT,
  tool_name TEXT,
  method TEXT,
  decision TEXT,
  reason TEXT,
  code TEXT,
  latency_ms REAL,
  details TEXT,
  ip_address TEXT,
  user_agent TEXT,
  chain_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX mcp_security_events_time ON mcp_security_events (timestamp);
CREATE INDEX mcp_security_events_type_time ON mcp_security_events (event_type, timestamp);
CREATE TABLE security_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  data TEXT NOT NULL,
  acknowledged INTEGER NOT NULL DEFAULT 0,
  acknowledged_at TEXT,
  acknowledged_by TEXT,
  created_at TEXT NOT NULL,
  dedup_key TEXT NOT NULL,
  suppressed INTEGER NOT NULL DEFAULT 0,
  record_hash TEXT NOT NULL
);
CREATE INDEX security_alerts_created ON security_alerts (created_at);
`,
  },
];

/** `S` is replaced by the quoted schema name (validated as an identifier by the config schema). */
export const POSTGRES_MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'mcp_security_events and security_alerts (the seed tables, with the audit chain)',
    sql: `
CREATE TABLE S.mcp_security_events (
  id BIGSERIAL PRIMARY KEY,
  timestamp TIMESTAMPTZ NOT NULL,
  event_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  session_id TEXT,
  connection_id TEXT,
  principal TEXT,
  skill_name TEXT,
  tool_name TEXT,
  method TEXT,
  decision TEXT,
  reason TEXT,
  code TEXT,
  latency_ms DOUBLE PRECISION,
  details JSONB,
  ip_address TEXT,
  user_agent TEXT,
  chain_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX mcp_security_events_time ON S.mcp_security_events (timestamp);
CREATE INDEX mcp_security_events_type_time ON S.mcp_security_events (event_type, timestamp);
CREATE TABLE S.security_alerts (
  id BIGSERIAL PRIMARY KEY,
  alert_type TEXT NOT NULL,
  severity TEXT NOT NULL,
  message TEXT NOT NULL,
  data JSONB NOT NULL,
  acknowledged BOOLEAN NOT NULL DEFAULT FALSE,
  acknowledged_at TIMESTAMPTZ,
  acknowledged_by TEXT,
  created_at TIMESTAMPTZ NOT NULL,
  dedup_key TEXT NOT NULL,
  suppressed INTEGER NOT NULL DEFAULT 0,
  record_hash TEXT NOT NULL
);
CREATE INDEX security_alerts_created ON S.security_alerts (created_at);
`,
  },
];

export const EVENT_COLUMNS = [
  'timestamp', 'event_type', 'severity', 'session_id', 'connection_id', 'principal', 'skill_name', 'tool_name', 'method', 'decision',
  'reason', 'code', 'latency_ms', 'details', 'ip_address', 'user_agent', 'chain_id', 'seq', 'prev_hash', 'hash', 'record',
] as const;

export const ALERT_COLUMNS = ['alert_type', 'severity', 'message', 'data', 'created_at', 'dedup_key', 'suppressed', 'record_hash'] as const;

/** A row's values in column order, as an INSERT of EVENT_COLUMNS / ALERT_COLUMNS binds them. */
export const eventValues = (e: StoredEvent): Array<string | number | null> => EVENT_COLUMNS.map((c) => e[c]);
export const alertValues = (a: StoredAlert): Array<string | number | null> => ALERT_COLUMNS.map((c) => a[c]);
