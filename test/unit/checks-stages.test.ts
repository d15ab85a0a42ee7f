/**
 * The request stages that checks.test.ts leaves out, each run on its own against the small fake of
 * the gateway's services (test/helpers/fake-services.ts), with the real things behind it where they
 * are cheap: configuration through the real loader, the real tool policy, argument policy and flow
 * store (in memory), tool entries with their real validators. For each: what it refuses and with
 * which code, what it tells the audit record, that it passes the call on only when it should, and
 * that a shared store that cannot answer (STATE_UNAVAILABLE) refuses the call, never waves it on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALLOWED_METHODS_RULE, methodAllowlist } from '../../src/checks/allowed-methods.ts';
import { ANONYMOUS_REFUSED, authenticate } from '../../src/checks/authenticate.ts';
import { constrainArguments } from '../../src/checks/constrain-arguments.ts';
import { throttle } from '../../src/checks/throttle.ts';
import { requireApproval } from '../../src/checks/require-approval.ts';
import { validateArguments } from '../../src/checks/validate-arguments.ts';
import { validateMessage } from '../../src/checks/validate-message.ts';
import { ApprovalStoreError } from '../../src/approvals/approval-store.ts';
import type { ApprovalAsk, ApprovalOutcome } from '../../src/approvals/approval-gate.ts';
import { loadConfigText } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { GatewayError } from '../../src/errors.ts';
import type { CallContext, ChainServices } from '../../src/pipeline/types.ts';
import type { FlowStore } from '../../src/policy/flow-rules.ts';
import { PolicyRuntime } from '../../src/policy/policy-runtime.ts';
import { parseJsonBytes } from '../../src/protocol/safe-json.ts';
import { rememberWireSize } from '../../src/protocol/wire-size.ts';
import { catalogTool, fakeServices, run, session, toolCall, unavailable, type FakeServices } from '../helpers/fake-services.ts';

const PATH_TOOL = { name: 'read_file', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } };

/** A tools/call of read_file with these arguments, its target carrying the catalog's entry. */
async function callWith(ctx: CallContext, args: unknown, def: Record<string, unknown> = PATH_TOOL): Promise<CallContext> {
  ctx.req = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'files__read_file', arguments: args as Record<string, unknown> } };
  ctx.target = { ...ctx.target!, tool: await catalogTool(def as typeof PATH_TOOL) };
  return ctx;
}

/** Global settings `global`, and server `files` with its own `security` override. */
function withServer(global: string, own: string) {
  const loaded = loadConfigText(`mcp:\n  security: ${global}\n  servers:\n    - name: files\n      command: x\n      security: ${own}\n`);
  const s = fakeServices({ config: loaded.config });
  const server = loaded.servers[0];
  return { s, call: (over: Partial<CallContext> = {}) => toolCall(s, { security: server.effective, target: { ...toolCall(s).target!, server }, ...over }) };
}

describe('authenticate', () => {
  it('requireAuth refuses an anonymous caller (UNAUTHENTICATED, audited); a known caller, or no requireAuth, goes on', async () => {
    const anonymous = session({ principal: { subject: 'anonymous', method: 'anonymous' } });
    const ctx = toolCall(fakeServices({ mcp: { security: { requireAuth: true } } }), { session: anonymous });
    assert.equal(await run(authenticate, ctx), 'UNAUTHENTICATED');
    assert.deepEqual(ctx.audit, { decision: 'deny', reason: ANONYMOUS_REFUSED });
    assert.equal(await run(authenticate, toolCall(fakeServices({ mcp: { security: { requireAuth: true } } }))), 'next');
    assert.equal(await run(authenticate, toolCall(fakeServices(), { session: anonymous })), 'next', 'without requireAuth, policy decides');
  });
});

describe('validateMessage', () => {
  const request = (s: ReturnType<typeof fakeServices>, method: string, params?: Record<string, unknown>, over: Partial<CallContext> = {}) =>
    toolCall(s, { method, req: { jsonrpc: '2.0', id: 2, method, ...(params && { params }) }, target: undefined, ...over });

  it('before initialize only initialize and ping pass (NOT_INITIALIZED); initialize is held to its schema even with validation off', async () => {
    const s = fakeServices({ mcp: { security: { validation: { schemaValidation: 'off' } } } });
    const fresh = session();
    assert.equal(await run(validateMessage, request(s, 'tools/list', undefined, { session: fresh })), 'NOT_INITIALIZED');
    assert.equal(await run(validateMessage, request(s, 'ping', undefined, { session: fresh })), 'next');
    const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } };
    assert.equal(await run(validateMessage, request(s, 'initialize', init, { session: fresh })), 'next');
    assert.equal(await run(validateMessage, request(s, 'initialize', { capabilities: {} }, { session: fresh })), 'INVALID_PARAMS');
  });

  it('a method the revision does not define is METHOD_NOT_FOUND, in 2025 and in 2026-07-28', async () => {
    const s = fakeServices();
    assert.equal(await run(validateMessage, request(s, 'tools/execute', { name: 'x' })), 'METHOD_NOT_FOUND');
    assert.equal(await run(validateMessage, request(s, 'ping', undefined, { protocolVersion: '2026-07-28' })), 'METHOD_NOT_FOUND', '2026-07-28 has no ping');
    assert.equal(await run(validateMessage, request(s, 'ping')), 'next');
  });

  it('params that break the MCP schema are INVALID_PARAMS when validation is on, passed on when it is off', async () => {
    assert.equal(await run(validateMessage, request(fakeServices(), 'tools/call', { arguments: {} })), 'INVALID_PARAMS');
    assert.equal(await run(validateMessage, request(fakeServices(), 'tools/call', { name: 'files__read_file', arguments: {} })), 'next');
    assert.equal(await run(validateMessage, request(fakeServices({ mcp: { security: { validation: { schemaValidation: 'off' } } } }), 'tools/call', { arguments: {} })), 'next');
  });

  it('allowedMethods: a method it does not name looks like one that does not exist; the audit names the rule', async () => {
    const ctx = request(fakeServices({ mcp: { security: { validation: { allowedMethods: ['tools/call', 'tools/list'] } } } }), 'prompts/list');
    assert.equal(await run(validateMessage, ctx), 'METHOD_NOT_FOUND');
    assert.equal(ctx.audit.decision, 'deny');
    assert.equal(ctx.audit.rule, ALLOWED_METHODS_RULE);
  });
});

describe('methodAllowlist', () => {
  it("after route, the server's own allowedMethods refuses what it does not name (METHOD_NOT_FOUND, the server in the audit)", async () => {
    const { s, call } = withServer('{}', '{ validation: { allowedMethods: [tools/list] } }');
    const ctx = call();
    assert.equal(await run(methodAllowlist, ctx), 'METHOD_NOT_FOUND');
    assert.equal(ctx.audit.rule, ALLOWED_METHODS_RULE);
    assert.match(ctx.audit.reason ?? '', /server 'files'/);
    assert.equal(await run(methodAllowlist, call({ method: 'tools/list', req: { jsonrpc: '2.0', id: 3, method: 'tools/list' } })), 'next');
    assert.equal(await run(methodAllowlist, toolCall(s)), 'next', 'global settings: already checked by validateMessage');
  });
});

describe('validateArguments (and the server limits it applies first)', () => {
  it("strict: arguments that break the tool's inputSchema are ARGUMENTS_INVALID, the violation in the audit; valid ones go on", async () => {
    const s = fakeServices();
    const bad = await callWith(toolCall(s), { path: 7 });
    assert.equal(await run(validateArguments, bad), 'ARGUMENTS_INVALID');
    assert.match(bad.audit.reason ?? '', /inputSchema/);
    assert.equal(await run(validateArguments, await callWith(toolCall(s), { path: '/a' })), 'next');
    assert.equal(await run(validateArguments, await callWith(toolCall(s), { path: '/a', extra: 1 })), 'ARGUMENTS_INVALID');
  });

  it('warn: the violation is audited as schema_validation_failed and the call goes on; off: not even looked at', async () => {
    const warn = fakeServices({ mcp: { security: { validation: { schemaValidation: 'warn' } } } });
    assert.equal(await run(validateArguments, await callWith(toolCall(warn), { path: 7 })), 'next');
    const r = warn.records.find((x) => x.event === 'schema_validation_failed');
    assert.equal(r?.decision, 'allow');
    assert.match(String(r?.reason), /warn mode/);
    const off = fakeServices({ mcp: { security: { validation: { schemaValidation: 'off' } } } });
    assert.equal(await run(validateArguments, await callWith(toolCall(off), { path: 7 })), 'next');
    assert.equal(off.records.length, 0);
  });

  it('more top-level arguments than maxToolArguments are TOO_MANY_ARGUMENTS, before the schema is read', async () => {
    const s = fakeServices({ mcp: { security: { validation: { maxToolArguments: 2 } } } });
    assert.equal(await run(validateArguments, await callWith(toolCall(s), { a: 1, b: 2, c: 3 }, { name: 'read_file' })), 'TOO_MANY_ARGUMENTS');
    assert.equal(await run(validateArguments, await callWith(toolCall(s), { a: 1, b: 2 }, { name: 'read_file' })), 'next');
  });

  it("a server's lower maxMessageSize is measured on the original bytes: MESSAGE_TOO_LARGE, the server in the audit", async () => {
    const { call } = withServer('{}', '{ validation: { maxMessageSize: 400 } }');
    const small = await callWith(call(), { path: '/a' }, { name: 'read_file' });
    assert.equal(await run(validateArguments, small), 'next');
    rememberWireSize(small.req, 401); // the client sent escapes and spaces that a re-serialization drops
    assert.equal(await run(validateArguments, small), 'MESSAGE_TOO_LARGE');
    assert.match(small.audit.reason ?? '', /server 'files' maxMessageSize 400/);
    const big = await callWith(call(), { path: 'x'.repeat(400) }, { name: 'read_file' });
    assert.equal(await run(validateArguments, big), 'MESSAGE_TOO_LARGE');
  });

  it("a server's lower maxNestingDepth counts depth as stage 0 does (NESTING_TOO_DEEP exactly where parsing would refuse)", async () => {
    const { call } = withServer('{}', '{ validation: { maxNestingDepth: 4 } }');
    let nested: unknown = 'leaf';
    for (let depth = 0; depth < 6; depth++) {
      const ctx = await callWith(call(), { v: nested }, { name: 'read_file' });
      const bytes = Buffer.from(JSON.stringify(ctx.req));
      const stage0 = (() => {
        try {
          parseJsonBytes(bytes, { maxBytes: 1 << 20, maxDepth: 4 + 1 });
          return 'next';
        } catch (err) {
          return (err as { code: string }).code;
        }
      })();
      assert.equal(await run(validateArguments, ctx), stage0, `nesting ${depth}`);
      nested = { n: nested };
    }
    const deep = await callWith(call(), { v: { a: { b: { c: {} } } } }, { name: 'read_file' });
    assert.equal(await run(validateArguments, deep), 'NESTING_TOO_DEEP');
    assert.match(deep.audit.reason ?? '', /server 'files' maxNestingDepth 4/);
  });

  it('a server that turns schema validation on gets the MCP message schema checked after routing (INVALID_PARAMS)', async () => {
    const { call } = withServer('{ validation: { schemaValidation: "off" } }', '{ validation: { schemaValidation: strict } }');
    const ctx = call({ req: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 42 } as never } });
    assert.equal(await run(validateArguments, ctx), 'INVALID_PARAMS');
  });
});

/** Labels and a flow rule: what reads private data may not be followed by what sends it out. */
const FLOWS = {
  toolAccess: { defaultPolicy: 'allow', allowedTools: [{ pattern: 'create_event', conditions: [{ maxEventsPerDay: 1 }] }] },
  toolLabels: { read_file: ['private-data'], send_mail: ['external-sink'] },
  resourceLabels: { 'file:///private/*': ['private-data'], 'https://*': ['external-sink'] },
  promptLabels: { leak: ['external-sink'] },
  flowRules: [{ name: 'no-exfiltration', after: ['private-data'], deny: ['external-sink'] }],
};
const configWith = (security: Record<string, unknown>) => configSchema.parse({ mcp: { security } });
const policyServices = () => fakeServices({ mcp: { security: FLOWS }, toolPolicy: true });

/** The same services with another flow store (a shared one that cannot answer). */
function withFlows(s: FakeServices, flows: FlowStore): ChainServices {
  return { ...s, policy: new PolicyRuntime({ file: '<test>', config: s.config, servers: [], notes: [], unsetEnv: [] }, { quotas: s.policy.quotas, flows }) };
}

const tool = (s: ChainServices, name: string, args: Record<string, unknown> = {}) =>
  callWith(toolCall(s, { target: { ...toolCall(s).target!, name, exposed: `files__${name}` } }), args, { name, inputSchema: { type: 'object', properties: { path: { type: 'string' } } } });
const read = (s: ChainServices, kind: 'resource' | 'prompt', name: string) =>
  toolCall(s, { method: kind === 'prompt' ? 'prompts/get' : 'resources/read', target: { ...toolCall(s).target!, kind, name, exposed: name } });
/** The rest of the chain, answering with a result. */
const answered = (ctx: CallContext) => () => void (ctx.response = { jsonrpc: '2.0', id: 1, result: { content: [] } });

describe('constrainArguments and the flow rules of resources and prompts', () => {
  it('a result of a labeled tool taints the session; then a sink is POLICY_DENIED, the flow rule in the audit', async () => {
    const s = policyServices();
    const first = await tool(s, 'read_file', { path: '/etc/hosts' });
    assert.equal(await run(constrainArguments, first, answered(first)), 'next');
    const sink = await tool(s, 'send_mail');
    assert.equal(await run(constrainArguments, sink), 'POLICY_DENIED');
    assert.equal(sink.audit.decision, 'deny');
    assert.equal(sink.audit.rule, 'flowRules[0]: no-exfiltration');
    const other = await tool(s, 'send_mail');
    other.session = session({ id: 's2' });
    assert.equal(await run(constrainArguments, other), 'next', 'taint is per session');
  });

  it('throttle starts the taint read and constrainArguments uses it: one read, still refusing in a tainted session', async () => {
    const s = policyServices();
    let reads = 0;
    const counting: FlowStore = { labels: (k) => (reads++, s.policy.flows.labels(k)), taint: (k, l) => s.policy.flows.taint(k, l), forget: (k) => s.policy.flows.forget(k) };
    const f = { ...withFlows(s, counting), config: configWith({ ...FLOWS, rateLimiting: { requestsPerMinute: 600, burstSize: 50 } }) };
    const first = await tool(f, 'read_file');
    const inner = async () => {
      assert.equal(reads, 1, 'started by throttle, before the later stages run');
      assert.equal(await run(constrainArguments, first, answered(first)), 'next');
    };
    assert.equal(await run(throttle, first, inner), 'next');
    assert.equal(reads, 1, 'and not read again by constrainArguments');
    const sink = await tool(f, 'send_mail');
    assert.equal(await run(throttle, sink, async () => assert.equal(await run(constrainArguments, sink), 'POLICY_DENIED')), 'next');
    assert.equal(reads, 2);
  });

  it('an error answer taints nothing', async () => {
    const s = policyServices();
    const first = await tool(s, 'read_file');
    assert.equal(await run(constrainArguments, first, () => void (first.response = { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'no' } })), 'next');
    assert.equal(await run(constrainArguments, await tool(s, 'send_mail')), 'next');
  });

  it('an argument guard refuses with POLICY_DENIED and names the argument; a quota with QUOTA_EXCEEDED and when to retry', async () => {
    const s = policyServices();
    const write = await tool(s, 'write_file', { path: '/repo/.cursor/mcp.json' });
    assert.equal(await run(constrainArguments, write), 'POLICY_DENIED');
    assert.equal(write.audit.argument, 'path');
    assert.match(write.audit.rule ?? '', /^argumentGuards\.clientConfigFiles/);
    assert.equal(await run(constrainArguments, await tool(s, 'create_event')), 'next');
    const again = await tool(s, 'create_event');
    await assert.rejects(async () => constrainArguments(again, async () => assert.fail('passed on')), (e: GatewayError) => e.code === 'QUOTA_EXCEEDED' && Number((e.data as { retryAfterSeconds: number }).retryAfterSeconds) > 0);
    assert.equal(again.audit.rule, 'allowedTools[0].conditions[0]');
  });

  it('resources and prompts: a labeled read taints, a labeled sink in a tainted session is POLICY_DENIED', async () => {
    const s = policyServices();
    const sink = read(s, 'prompt', 'leak');
    assert.equal(await run(constrainArguments, sink), 'next', 'a clean session may use it');
    const doc = read(s, 'resource', 'file:///private/plan.txt');
    assert.equal(await run(constrainArguments, doc, answered(doc)), 'next');
    const again = read(s, 'prompt', 'leak');
    assert.equal(await run(constrainArguments, again), 'POLICY_DENIED');
    assert.equal(again.audit.rule, 'flowRules[0]: no-exfiltration');
    assert.match(again.audit.reason ?? '', /^prompt 'leak' on 'files'/);
    assert.equal(await run(constrainArguments, read(s, 'resource', 'https://example.com/upload')), 'POLICY_DENIED');
    assert.equal(await run(constrainArguments, await tool(s, 'send_mail')), 'POLICY_DENIED', 'a tool sink too');
  });

  it('a flow store that cannot answer refuses the call (STATE_UNAVAILABLE): before it, on reading; after it, on tainting (the result is withheld)', async () => {
    const s = policyServices();
    const down = withFlows(s, { labels: async () => unavailable(), taint: async () => unavailable(), forget: () => {} });
    for (const ctx of [await tool(down, 'send_mail'), await tool(down, 'read_file'), read(down, 'resource', 'file:///private/a'), read(down, 'prompt', 'leak')]) {
      assert.equal(await run(constrainArguments, ctx, () => assert.fail('passed on')), 'STATE_UNAVAILABLE', `${ctx.method} ${ctx.target?.name}`);
    }
    const writeDown = withFlows(s, { labels: () => new Set(), taint: async () => unavailable(), forget: () => {} });
    for (const ctx of [await tool(writeDown, 'read_file'), read(writeDown, 'resource', 'file:///private/a')]) {
      assert.equal(await run(constrainArguments, ctx, answered(ctx)), 'STATE_UNAVAILABLE');
    }
    assert.equal(await run(constrainArguments, read(down, 'resource', 'file:///public/a')), 'next', 'an unlabeled read never asks the store');
  });
});

describe('requireApproval', () => {
  const RULES = { toolAccess: { defaultPolicy: 'allow', approvalTimeoutSeconds: 30, allowedTools: [{ pattern: 'delete_file', approval: 'required', approvalTimeoutSeconds: 7 }] } };
  const decision = (approved: boolean, via: ApprovalOutcome['decision']['via'] = 'console'): ApprovalOutcome => ({ id: 'ap-1', askedVia: 'operator', decision: { approved, by: 'ops', via, at: '2026-01-01T00:00:00Z', reason: approved ? undefined : 'no' } });
  function approvals(answer: (a: ApprovalAsk) => ApprovalOutcome | Promise<ApprovalOutcome>) {
    const asked: ApprovalAsk[] = [];
    const s = fakeServices({ mcp: { security: RULES }, toolPolicy: true, askApproval: async (a) => (asked.push(a), answer(a)) });
    return { s, asked, del: (args: Record<string, unknown> = { path: '/a' }) => tool(s, 'delete_file', args) };
  }

  it('a rule that needs approval asks once, with the rule\'s timeout and the audited arguments; a yes passes the call on', async () => {
    const { s, asked, del } = approvals(() => decision(true));
    const ctx = await del({ path: '/a', token: 'sk-secret' });
    ctx.auditArguments = { path: '/a', token: '[REDACTED]' };
    assert.equal(await run(requireApproval, ctx), 'next');
    assert.equal(asked.length, 1);
    assert.equal(asked[0].timeoutMs, 7000);
    assert.deepEqual([asked[0].server, asked[0].tool, asked[0].args], ['files', 'delete_file', ctx.auditArguments]);
    assert.deepEqual(ctx.audit.approval, { id: 'ap-1', approved: true, by: 'ops', via: 'console', at: '2026-01-01T00:00:00Z', askedVia: 'operator' });
    assert.equal(await run(requireApproval, await tool(s, 'read_file')), 'next');
    assert.equal(asked.length, 1, 'a tool without approval asks nobody');
  });

  it('no, timeout and cancel refuse with APPROVAL_DENIED, APPROVAL_TIMEOUT and CANCELLED, the rule in the audit', async () => {
    for (const [via, approved, code] of [['console', false, 'APPROVAL_DENIED'], ['timeout', false, 'APPROVAL_TIMEOUT'], ['cancelled', false, 'CANCELLED']] as const) {
      const { del } = approvals(() => decision(approved, via));
      const ctx = await del();
      assert.equal(await run(requireApproval, ctx, () => assert.fail('passed on')), code, via);
      assert.equal(ctx.audit.decision, 'deny');
      assert.equal(ctx.audit.rule, 'allowedTools[0]: delete_file');
      assert.equal(ctx.cancelled === true, via === 'cancelled');
    }
  });

  it('authorize\'s decision is the one read: the rule it matched asks, whatever deciding again would say', async () => {
    const { s, asked } = approvals(() => decision(true));
    const ctx = await tool(s, 'read_file');
    ctx.access = { allowed: true, rule: 'allowedTools[9]: read_file', matchedRule: { pattern: 'read_file', approval: 'required' } };
    assert.equal(await run(requireApproval, ctx), 'next');
    assert.equal(asked.length, 1);
  });

  it('an approval store that cannot answer refuses the call: full store APPROVAL_DENIED (audited), shared state away STATE_UNAVAILABLE', async () => {
    const full = approvals(() => {
      throw new ApprovalStoreError('too many approvals pending (1000)');
    });
    const ctx = await full.del();
    assert.equal(await run(requireApproval, ctx, () => assert.fail('passed on')), 'APPROVAL_DENIED');
    assert.match(ctx.audit.reason ?? '', /could not be requested: too many/);
    const away = approvals(unavailable);
    assert.equal(await run(requireApproval, await away.del(), () => assert.fail('passed on')), 'STATE_UNAVAILABLE');
    const broken = approvals(() => Promise.reject(new Error('bug')));
    const b = await broken.del();
    await assert.rejects(async () => requireApproval(b, async () => assert.fail('passed on')), /bug/);
  });
});
