/**
 * An operator's release of a quarantined result, the one implementation behind
 * `portcullis quarantine release` and the console: the item is marked reviewed (who, when) and
 * the release is audited as `quarantine_released`. Nothing is re-sent: the call it belonged to
 * was answered with the notice long ago.
 */
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/schema.ts';
import type { RedisConnection } from '../state/redis-connection.ts';
import { FileQuarantineStore } from './file-quarantine-store.ts';
import type { QuarantineItem, QuarantineStore } from './quarantine-store.ts';
import { RedisQuarantineStore } from './redis-quarantine-store.ts';

/** The quarantine directory of a configuration (used without `mcp.state.url`). */
export const quarantineDirOf = (config: Config): string => config.mcp.security.inspection.quarantine.dir ?? join(config.mcp.state.dir, 'quarantine');

/** The store a configuration names: Redis when the shared state is there (`state`), else the directory. */
export function quarantineStoreOf(config: Config, state?: RedisConnection): QuarantineStore {
  const q = config.mcp.security.inspection.quarantine;
  return state ? new RedisQuarantineStore(state, q) : new FileQuarantineStore(quarantineDirOf(config), q);
}

export async function releaseQuarantined(store: QuarantineStore, id: string, by: string, audit: AuditLog): Promise<QuarantineItem | undefined> {
  const item = await store.release(id, by);
  if (!item) return undefined;
  audit.emit({ event: 'quarantine_released', principal: by, decision: 'allow', server: item.server, tool: item.tool, rule: item.findings[0]?.rule, reason: `quarantined result ${id} released by ${by}`, detail: { id, quarantinedAt: item.time } });
  return item;
}
