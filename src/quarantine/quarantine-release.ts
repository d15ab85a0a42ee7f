/**
 * An operator's release of a quarantined result, the one implementation behind
 * `portcullis quarantine release` and the console: the item is marked reviewed (who, when) and
 * the release is audited as `quarantine_released`. Nothing is re-sent: the call it belonged to
 * was answered with the notice long ago.
 */
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/schema.ts';
import type { QuarantineItem, QuarantineStore } from './quarantine-store.ts';

/** The quarantine directory of a configuration (the global one; a server may name its own). */
export const quarantineDirOf = (config: Config): string => config.mcp.security.inspection.quarantine.dir ?? join(config.mcp.state.dir, 'quarantine');

export function releaseQuarantined(store: QuarantineStore, id: string, by: string, audit: AuditLog): QuarantineItem | undefined {
  const item = store.release(id, by);
  if (!item) return undefined;
  audit.emit({ event: 'quarantine_released', principal: by, decision: 'allow', server: item.server, tool: item.tool, rule: item.findings[0]?.rule, reason: `quarantined result ${id} released by ${by}`, detail: { id, quarantinedAt: item.time } });
  return item;
}
