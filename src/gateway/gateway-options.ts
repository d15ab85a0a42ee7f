/** What a Gateway is built with (gateway.ts): its mode, audit log and the services it may share. */
import type { ApprovalGate } from '../approvals/approval-gate.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { ResolvedServer } from '../config/load.ts';
import type { IncidentView } from '../incident/incident-control.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { PinGuard } from '../pins/pin-guard.ts';
import type { QuarantineStore } from '../quarantine/quarantine-store.ts';
import type { CheckStores } from '../state/shared-stores.ts';
import type { UpstreamTransport } from '../upstream/transport.ts';

export interface GatewayOptions {
  mode: 'run' | 'wrap';
  audit: AuditLog;
  /** Log sink for operational messages (never the MCP stdout in wrap mode). */
  log?: (line: string) => void;
  clock?: () => number;
  /** Lockdown, revocations, disabled servers (incident/); default: none. */
  incident?: IncidentView;
  /** Sees every finished request (metrics). */
  monitor?: { requestDone(ctx: CallContext, endedAt?: number): void };
  /** Tool/prompt/template/launch pins and the poisoning scan (src/pins/); none: everything as listed. */
  pins?: PinGuard;
  /** Each server's connection, when not the gateway's own: the embedded guard's SDK client (src/embed/). */
  upstreamTransport?: (server: ResolvedServer) => UpstreamTransport;
  /** Human approvals (src/approvals/); default: the store in mcp.state.dir. */
  approvals?: ApprovalGate;
  /** Where quarantined originals go (src/quarantine/); default: the directory of the configuration. */
  quarantine?: QuarantineStore;
  /** Shared stores for the checks (mcp.state.url, state/shared-stores.ts); none: this process's. */
  stores?: CheckStores;
}
