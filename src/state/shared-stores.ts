/**
 * The stores a gateway's checks use, shared by every replica when `mcp.state.url` is set: rate-limit
 * buckets, quota counters and flow-rule taint in Redis. Without it the gateway keeps its defaults
 * (in memory; quotas in SQLite under `mcp.state.dir`).
 */
import type { LoadedConfig } from '../config/load.ts';
import type { FlowStore } from '../policy/flow-rules.ts';
import type { QuotaStore } from './quota-store.ts';
import { RedisBucketStore } from './redis-bucket-store.ts';
import type { RedisConnection } from './redis-connection.ts';
import { RedisFlowStore } from './redis-flow-store.ts';
import { RedisQuotaStore } from './redis-quota-store.ts';
import type { StateStore } from './store.ts';

export interface CheckStores {
  buckets: StateStore;
  quotas: QuotaStore;
  flows: FlowStore;
}

export function redisCheckStores(conn: RedisConnection, loaded: LoadedConfig): CheckStores {
  return {
    buckets: new RedisBucketStore(conn),
    quotas: new RedisQuotaStore(conn),
    flows: new RedisFlowStore(conn, { ttlMs: loaded.config.mcp.timeouts.sessionIdleSeconds * 1000 }),
  };
}
