/**
 * The operator's pin decisions, audited by the gateway that sees them: `portcullis pins
 * approve|revoke` only writes the pin files (it works with no gateway running), so each running
 * gateway compares the trusted pins before and after a change and records `pin_approved` and
 * `pin_revoked` for the servers it fronts.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import { perServer, PIN_KINDS } from './pin-definition.ts';
import { getEntry, type PinFileData } from './pin-file.ts';

export function auditTrustChanges(before: PinFileData, after: PinFileData, servers: readonly { name: string; key: string }[], audit: AuditLog): void {
  for (const s of servers) {
    for (const kind of PIN_KINDS) {
      const names = new Set([...Object.keys(before.servers[s.key]?.[kind] ?? {}), ...Object.keys(after.servers[s.key]?.[kind] ?? {})]);
      for (const name of names) {
        const a = getEntry(before.servers, s.key, kind, name);
        const b = getEntry(after.servers, s.key, kind, name);
        const tool = perServer(kind) ? undefined : name;
        // A gateway re-hashing an old pin over today's fields (pin-guard.ts) is no operator decision.
        const upgraded = a && b && a.v === undefined && b.v !== undefined && a.pinnedAt === b.pinnedAt;
        if (b?.revoked && !a?.revoked) {
          audit.emit({ event: 'pin_revoked', server: s.name, tool, principal: b.revoked.by, decision: 'deny', reason: b.revoked.reason ?? 'trust revoked by the operator', detail: { kind, key: s.key, hash: b.hash } });
        } else if ((!b && a) || (b && !b.revoked && a?.revoked)) {
          audit.emit({ event: b ? 'pin_approved' : 'pin_revoked', server: s.name, tool, principal: b?.by, decision: b ? 'allow' : 'deny', reason: b ? 'trust restored by the operator' : 'pin removed by the operator', detail: { kind, key: s.key, hash: b?.hash ?? a!.hash } });
        } else if (b && b.origin === 'operator' && !upgraded && (a?.hash !== b.hash || a?.pinnedAt !== b.pinnedAt)) {
          audit.emit({ event: 'pin_approved', server: s.name, tool, principal: b.by, decision: 'allow', reason: 'definition approved by the operator', detail: { kind, key: s.key, previous: a?.hash, hash: b.hash } });
        }
      }
    }
  }
}
