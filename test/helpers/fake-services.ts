/**
 * A small ChainServices for unit tests of one check: the real rate limiter (in-memory store), the
 * real namespacer, task table and argument-policy runtime (in-memory flow and quota stores), an
 * audit log whose records are kept, and fakes only for what a check asks of the rest of the
 * gateway (the policy decision unless `toolPolicy`, the incident state, the servers).
 */
import { AuditLog, type AuditRecord } from '../../src/audit/audit-log.ts';
import { RateLimiter } from '../../src/checks/rate-limit.ts';
import { AUDIT_EVENTS, configSchema } from '../../src/config/schema.ts';
import { GatewayError } from '../../src/errors.ts';
import { Catalog, type ToolDef, type ToolEntry } from '../../src/gateway/catalog.ts';
import { InputRequiredTable } from '../../src/gateway/input-required.ts';
import { Namespacer } from '../../src/gateway/namespacing.ts';
import { ProgressRouter } from '../../src/gateway/progress.ts';
import { Session, type Principal } from '../../src/gateway/session.ts';
import { TaskTable } from '../../src/gateway/task-table.ts';
import { NO_INCIDENT, type IncidentView } from '../../src/incident/incident-view.ts';
import type { Stage } from '../../src/pipeline/compose.ts';
import type { CallContext, ChainServices, RoutedServer } from '../../src/pipeline/types.ts';
import { quarantineStoreOf } from '../../src/quarantine/quarantine-release.ts';
import type { JsonRpcResponse, Params } from '../../src/protocol/envelope.ts';
import { PolicyRuntime } from '../../src/policy/policy-runtime.ts';
import { ToolPolicy, type AccessDecision } from '../../src/policy/tool-policy.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';
import { MemoryQuotaStore } from '../../src/state/quota-store.ts';
import type { Upstream, UpstreamResponse } from '../../src/upstream/upstream.ts';

export interface FakeServices extends ChainServices {
  records: AuditRecord[];
}

/** `toolPolicy`: tool decisions by the real ToolPolicy of the global `toolAccess` (as Gateway.decide, without pins). */
export function fakeServices(over: Partial<ChainServices> & { mcp?: Record<string, unknown>; toolPolicy?: boolean } = {}): FakeServices {
  const { mcp, toolPolicy, ...rest } = over;
  const config = rest.config ?? configSchema.parse({ mcp: mcp ?? {} });
  const records: AuditRecord[] = [];
  const audit = new AuditLog({ sinks: [], events: AUDIT_EVENTS, level: 'summary', observers: [(r) => records.push(r)] });
  const servers = new Map<string, RoutedServer>();
  const namespacer = new Namespacer(['files']);
  const allow: AccessDecision = { allowed: true, rule: 'test' } as AccessDecision;
  const tools = toolPolicy ? new ToolPolicy(config.mcp.security.toolAccess) : undefined;
  return {
    config,
    audit,
    records,
    rateLimiter: new RateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }) }),
    policy: new PolicyRuntime({ file: '<test>', config, servers: [], notes: [], unsetEnv: [] }, { quotas: new MemoryQuotaStore() }),
    incident: NO_INCIDENT as IncidentView,
    namespacer,
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
    decide: (kind, server, name, caller) => (tools && kind === 'tool' ? tools.decide({ kind, server, name, servers: namespacer.serverNames }, caller) : allow),
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

/** A real Session (stateful unless `stateless`), alice over JWT from 203.0.113.5 unless told otherwise. */
export function session(o: { principal?: Partial<Principal>; id?: string; stateless?: boolean; connection?: string } = {}): Session {
  return new Session({
    principal: { subject: 'alice', method: 'jwt', roles: [], ...o.principal },
    connection: o.connection ?? 'http:203.0.113.5:4711',
    send: () => {},
    stateless: o.stateless,
    id: o.id ?? 's1',
  });
}

/** A tools/call of `files__read_file` by alice, routed to server `files`, through `services`. */
export function toolCall(services: ChainServices, over: Partial<CallContext> = {}): CallContext {
  const s = session();
  s.initialized = true;
  return {
    services,
    session: s,
    req: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'files__read_file', arguments: {} } },
    method: 'tools/call',
    security: services.config.mcp.security,
    target: { kind: 'tool', server: { name: 'files' }, name: 'read_file', exposed: 'files__read_file' } as CallContext['target'],
    audit: {},
    startedAt: performance.now(),
    ...over,
  };
}

/** A shared store that cannot answer (Redis away): what every network store throws. */
export const unavailable = (): never => {
  throw new GatewayError('STATE_UNAVAILABLE', 'Shared state is unavailable; try again later', { detail: 'test: redis down' });
};

/**
 * Runs one stage; returns the error code it threw, 'next' when it passed the call on, or
 * 'answered' when it did neither. `inner` stands for the rest of the chain (forward and the
 * response checks): it runs when the stage calls next().
 */
export async function run(stage: Stage<CallContext>, ctx: CallContext, inner: () => void | Promise<void> = () => {}): Promise<string> {
  let passed = false;
  try {
    await stage(ctx, async () => {
      passed = true;
      await inner();
    });
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    return err.code;
  }
  return passed ? 'next' : 'answered';
}

/** An upstream as the checks see it: `request` answers with `answer(method, params)`, and every call is kept. */
export interface FakeUpstream extends Upstream {
  calls: { method: string; params: Params | undefined; timeoutMs: number }[];
}

export function fakeUpstream(answer: (method: string, params: Params | undefined) => Record<string, unknown> | Promise<Record<string, unknown>> = () => ({ result: {} })): FakeUpstream {
  const calls: FakeUpstream['calls'] = [];
  let nextId = 1;
  const up = {
    name: 'files',
    state: 'ready',
    modern: false,
    init: { protocolVersion: '2025-11-25', capabilities: { tools: {}, prompts: {}, resources: {} }, serverInfo: { name: 'fake', version: '1' } },
    calls,
    async request(method: string, params: Params | undefined, timeoutMs: number, onId?: (id: number) => void): Promise<UpstreamResponse> {
      calls.push({ method, params, timeoutMs });
      const id = nextId++;
      onId?.(id);
      const msg = { jsonrpc: '2.0', id, ...(await answer(method, params)) } as unknown as JsonRpcResponse;
      return { msg, bytes: Buffer.from(JSON.stringify(msg)) };
    },
    async send() {},
  };
  return up as unknown as FakeUpstream;
}

/** A tool as the gateway knows it: its entry from a real Catalog (real validators) over a fake upstream. */
export async function catalogTool(def: ToolDef): Promise<ToolEntry> {
  const catalog = new Catalog(fakeUpstream((method) => (method === 'tools/list' ? { result: { tools: [def] } } : { error: { code: -32601, message: 'no' } })), 1000);
  return (await catalog.getTools()).get(def.name)!;
}
