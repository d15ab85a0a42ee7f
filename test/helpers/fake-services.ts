/**
 * A small ChainServices for unit tests of one check: the real rate limiter (in-memory store), the
 * real namespacer and task table, an audit log whose records are kept, and fakes only for what a
 * check asks of the rest of the gateway (the policy decision, the incident state, the servers).
 */
import { AuditLog, type AuditRecord } from '../../src/audit/audit-log.ts';
import { RateLimiter } from '../../src/checks/rate-limit.ts';
import { AUDIT_EVENTS, configSchema } from '../../src/config/schema.ts';
import { InputRequiredTable } from '../../src/gateway/input-required.ts';
import { Namespacer } from '../../src/gateway/namespacing.ts';
import { ProgressRouter } from '../../src/gateway/progress.ts';
import { TaskTable } from '../../src/gateway/task-table.ts';
import { NO_INCIDENT, type IncidentView } from '../../src/incident/incident-view.ts';
import type { CallContext, ChainServices, RoutedServer } from '../../src/pipeline/types.ts';
import type { AccessDecision } from '../../src/policy/tool-policy.ts';
import { quarantineStoreOf } from '../../src/quarantine/quarantine-release.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';

export interface FakeServices extends ChainServices {
  records: AuditRecord[];
}

export function fakeServices(over: Partial<ChainServices> & { mcp?: Record<string, unknown> } = {}): FakeServices {
  const { mcp, ...rest } = over;
  const config = configSchema.parse({ mcp: mcp ?? {} });
  const records: AuditRecord[] = [];
  const audit = new AuditLog({ sinks: [], events: AUDIT_EVENTS, level: 'summary', observers: [(r) => records.push(r)] });
  const servers = new Map<string, RoutedServer>();
  const allow: AccessDecision = { allowed: true, rule: 'test' } as AccessDecision;
  return {
    config,
    audit,
    records,
    rateLimiter: new RateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }) }),
    policy: undefined as never,
    incident: NO_INCIDENT as IncidentView,
    namespacer: new Namespacer(['files']),
    progress: new ProgressRouter(),
    tasks: new TaskTable(),
    inputRequired: new InputRequiredTable(),
    localHandlers: new Map(),
    servers,
    quarantine: quarantineStoreOf(config),
    timeoutMs: () => 60_000,
    ready: async (rt) => rt,
    soleServer: () => undefined,
    resolveName: async () => undefined,
    resolveUri: async () => undefined,
    decide: () => allow,
    responseChain: async () => {},
    serverAsks: {
      refuse: () => false,
      inspect: async (_up, msg) => ({ msg }),
      ask: () => {
        throw new Error('no client in this fake: pass serverAsks');
      },
    },
    askApproval: async () => {
      throw new Error('no approvals in this fake: pass askApproval');
    },
    ...rest,
  };
}

/** A tools/call of `files__read_file` by alice, routed to server `files`, through `services`. */
export function toolCall(services: ChainServices, over: Partial<CallContext> = {}): CallContext {
  return {
    services,
    session: { id: 's1', closed: false, stateless: false, connection: 'http:203.0.113.5:4711', principal: { subject: 'alice', method: 'jwt', roles: [] } } as unknown as CallContext['session'],
    req: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'files__read_file', arguments: {} } },
    method: 'tools/call',
    security: services.config.mcp.security,
    target: { kind: 'tool', server: { name: 'files' }, name: 'read_file', exposed: 'files__read_file' } as CallContext['target'],
    audit: {},
    startedAt: performance.now(),
    ...over,
  };
}
