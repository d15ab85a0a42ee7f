/**
 * Which event store a configuration names: its `sqlite` or `postgres` audit destination, else
 * SQLite at `<state dir>/events.db` (the default: every gateway has a store for alerts and reports).
 * The CLI's `--db` takes `postgres://...`, `sqlite:PATH` or a plain file path.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { EventStore } from './event-store.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { SqliteEventStore } from './sqlite-event-store.ts';
import { SqliteWorkerStore } from './sqlite-worker-store.ts';

/** `worker`: the gateway's SQLite store runs in a worker thread (sqlite-worker-store.ts). */
export function storeFromConfig(config: Config, opts: { readOnly?: boolean; worker?: boolean } = {}): EventStore {
  const d = config.mcp.security.audit.destinations.find((x) => x.type === 'sqlite' || x.type === 'postgres');
  if (d?.type === 'postgres') return new PostgresEventStore({ url: d.url, schema: d.schema, poolSize: d.poolSize });
  const path = d?.type === 'sqlite' ? d.path : join(config.mcp.state.dir, 'events.db');
  return opts.worker && !opts.readOnly ? new SqliteWorkerStore(path) : new SqliteEventStore(path, opts);
}

export function storeFromUrl(url: string, opts: { readOnly?: boolean; schema?: string } = {}): EventStore {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const u = new URL(url);
    // `?schema=` picks the schema; pg itself does not know the parameter.
    const schema = opts.schema ?? u.searchParams.get('schema') ?? 'public';
    u.searchParams.delete('schema');
    return new PostgresEventStore({ url: u.toString(), schema, poolSize: 2 });
  }
  return new SqliteEventStore(url.replace(/^sqlite:/, ''), opts);
}
