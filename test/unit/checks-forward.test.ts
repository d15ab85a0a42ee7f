/**
 * The last request stage and the task binding of the response chain, on their own (the rest of
 * checks-stages.test.ts): `forward` against a fake upstream (the gateway's connection to a server,
 * the only fake here), with the real progress router, input-required table and task table.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindTasks } from '../../src/checks/bind-tasks.ts';
import { forward } from '../../src/checks/forward.ts';
import { GatewayError } from '../../src/errors.ts';
import type { CallContext, ChainServices } from '../../src/pipeline/types.ts';
import type { AccessDecision } from '../../src/policy/tool-policy.ts';
import { fakeServices, fakeUpstream, run, session, toolCall, type FakeUpstream } from '../helpers/fake-services.ts';

const MODERN = '2026-07-28';

/** A tools/call of files__read_file routed to `up` (named read_file on its server). */
function routed(s: ChainServices, up: FakeUpstream, params: Record<string, unknown>, over: Partial<CallContext> = {}): CallContext {
  const ctx = toolCall(s, { req: { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'files__read_file', ...params } }, ...over });
  ctx.target = { ...ctx.target!, upstream: up };
  return ctx;
}

function counting(s: ChainServices) {
  const seen: CallContext[] = [];
  return { seen, services: { ...s, responseChain: async (ctx: CallContext) => void seen.push(ctx) } as ChainServices };
}

describe('forward', () => {
  it("sends the server's own name and a gateway progress token, without the client's 2026 retry fields; then runs the response chain once", async () => {
    const { seen, services } = counting(fakeServices());
    const up = fakeUpstream(() => ({ result: { content: [{ type: 'text', text: 'hi' }] } }));
    const ctx = routed(services, up, { arguments: { path: '/a' }, _meta: { progressToken: 'p1', 'io.modelcontextprotocol/clientInfo': {} }, inputResponses: {}, requestState: 'x' });
    assert.equal(await run(forward, ctx), 'answered');
    assert.equal(up.calls.length, 1);
    const sent = up.calls[0].params!;
    assert.equal(sent.name, 'read_file');
    assert.deepEqual(Object.keys(sent).sort(), ['_meta', 'arguments', 'name']);
    assert.deepEqual(Object.keys(sent._meta as object), ['progressToken']);
    assert.deepEqual(ctx.response, { jsonrpc: '2.0', id: 9, result: { content: [{ type: 'text', text: 'hi' }] } });
    assert.ok(ctx.resultRaw, 'the server bytes are kept for splicing');
    assert.equal(seen.length, 1);
    assert.equal(ctx.session.inflight.size, 0);
    assert.equal(services.progress.size, 0, 'the progress token is released');
  });

  it("a server's error answer is the response (the chain runs); a server that fails to answer throws its code and runs nothing after", async () => {
    const { seen, services } = counting(fakeServices());
    const errCtx = routed(services, fakeUpstream(() => ({ error: { code: -32000, message: 'boom' } })), { arguments: {} });
    assert.equal(await run(forward, errCtx), 'answered');
    assert.equal(errCtx.response?.error?.code, -32000);
    const down = fakeUpstream(() => {
      throw new GatewayError('REQUEST_TIMEOUT', 'Request timed out');
    });
    const ctx = routed(services, down, { arguments: {}, _meta: { progressToken: 7 } });
    assert.equal(await run(forward, ctx), 'REQUEST_TIMEOUT');
    assert.equal(seen.length, 1, 'only the answered call reached the response chain');
    assert.equal(ctx.session.inflight.size, 0);
    assert.equal(services.progress.size, 0);
    assert.equal(await run(forward, toolCall(services, { target: undefined })), 'INTERNAL');
  });

  it('a 2026 caller: a requestState the gateway never issued is INVALID_PARAMS before any server sees it; params.task is dropped', async () => {
    const s = fakeServices();
    const up = fakeUpstream();
    assert.equal(await run(forward, routed(s, up, { arguments: {}, requestState: 'forged' }, { protocolVersion: MODERN })), 'INVALID_PARAMS');
    assert.equal(up.calls.length, 0);
    assert.equal(await run(forward, routed(s, up, { arguments: {}, task: { ttl: 1000 } }, { protocolVersion: MODERN })), 'answered');
    assert.equal(up.calls[0].params?.task, undefined);
  });

  it("a 2026 server's input_required is relayed under a gateway token; the retry carries the server's state back, once", async () => {
    const s = fakeServices();
    const up = fakeUpstream((_m, params) => (params?.requestState === 'srv-state' ? { result: { content: [] } } : { result: { resultType: 'input_required', inputRequests: { q: { method: 'roots/list' } }, requestState: 'srv-state' } }));
    Object.assign(up, { modern: true, openAsk: () => ({ id: 'ask-1', answer: new Promise(() => {}) }) });
    const first = routed(s, up, { arguments: { path: '/tmp/a' } }, { protocolVersion: MODERN });
    assert.equal(await run(forward, first), 'answered');
    const token = first.response?.result?.requestState;
    assert.equal(typeof token, 'string');
    assert.notEqual(token, 'srv-state', 'the server state never reaches the caller');
    const retry = () => routed(s, up, { arguments: { path: '/tmp/a' }, requestState: token, inputResponses: { q: { roots: [] } } }, { protocolVersion: MODERN });
    assert.equal(await run(forward, retry()), 'answered');
    assert.equal(up.calls[1].params?.requestState, 'srv-state');
    assert.equal(await run(forward, retry()), 'INVALID_PARAMS', 'a token is good for one retry');
  });

  it('a 2026 retry must repeat the call it continues: other arguments under its requestState are INVALID_PARAMS, never sent', async () => {
    // requireApproval and the quota let a retry through unasked because it continues an approved
    // call; with other arguments it would be a new call that nobody approved.
    const s = fakeServices();
    const up = fakeUpstream(() => ({ result: { resultType: 'input_required', inputRequests: { q: { method: 'roots/list' } }, requestState: 'srv-state' } }));
    Object.assign(up, { modern: true, openAsk: () => ({ id: 'ask-1', answer: new Promise(() => {}) }) });
    const first = routed(s, up, { arguments: { path: '/tmp/a' } }, { protocolVersion: MODERN });
    await run(forward, first);
    const other = routed(s, up, { arguments: { path: '/etc/passwd' }, requestState: first.response?.result?.requestState, inputResponses: { q: { roots: [] } } }, { protocolVersion: MODERN });
    assert.equal(await run(forward, other), 'INVALID_PARAMS');
    assert.equal(up.calls.length, 1, 'the server never saw the other arguments');
  });
});

describe('bindTasks', () => {
  const taskCall = (s: ChainServices, taskId: unknown, over: Partial<CallContext> = {}) =>
    toolCall(s, {
      req: { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'files__read_file', arguments: {}, task: { ttl: 60_000 } } },
      response: { jsonrpc: '2.0', id: 4, result: { task: { taskId, status: 'working', createdAt: '2026-01-01T00:00:00Z', lastUpdatedAt: '2026-01-01T00:00:00Z', ttl: 60_000 } } },
      ...over,
    });

  it('a CreateTaskResult binds the task to the caller (audited by id); the same id for another caller is RESULT_INVALID', async () => {
    const s = fakeServices();
    const ctx = taskCall(s, 't-1');
    assert.equal(await run(bindTasks, ctx), 'next');
    assert.equal(ctx.audit.task, 't-1');
    assert.equal(s.tasks.mine('files', 't-1', ctx.session)?.tool, 'read_file');
    const bob = taskCall(s, 't-1', { session: session({ id: 's2', principal: { subject: 'bob' } }) });
    assert.equal(await run(bindTasks, bob, () => assert.fail('passed on')), 'RESULT_INVALID');
    assert.match(bob.audit.reason ?? '', /task 't-1' not bound/);
    assert.equal(s.tasks.mine('files', 't-1', bob.session), undefined);
    assert.equal(await run(bindTasks, taskCall(s, 42), () => assert.fail('passed on')), 'RESULT_INVALID', 'a malformed CreateTaskResult');
  });

  it('no task asked for, or a 2026-07-28 caller: nothing is bound', async () => {
    const s = fakeServices();
    assert.equal(await run(bindTasks, taskCall(s, 't-2', { protocolVersion: MODERN })), 'next');
    const plain = taskCall(s, 't-3');
    delete plain.req.params!.task;
    assert.equal(await run(bindTasks, plain), 'next');
    assert.equal(s.tasks.size, 0);
  });

  it("tasks/list keeps the caller's own tasks whose tool it may still use; the audit says how many were left out", async () => {
    let allowed = true;
    const s = fakeServices({ decide: () => ({ allowed, rule: 'test' }) as AccessDecision });
    const mine = taskCall(s, 'mine');
    await run(bindTasks, mine);
    await run(bindTasks, taskCall(s, 'theirs', { session: session({ id: 's2', principal: { subject: 'bob' } }) }));
    const list = (): CallContext => toolCall(s, { session: mine.session, method: 'tasks/list', req: { jsonrpc: '2.0', id: 5, method: 'tasks/list' }, response: { jsonrpc: '2.0', id: 5, result: { tasks: [{ taskId: 'mine' }, { taskId: 'theirs' }, { taskId: 'never-bound' }] } } });
    const ctx = list();
    assert.equal(await run(bindTasks, ctx), 'next');
    assert.deepEqual(ctx.response?.result?.tasks, [{ taskId: 'mine' }]);
    assert.equal(ctx.resultChanged, true);
    assert.match(ctx.audit.reason ?? '', /^2 of 3 listed task/);
    allowed = false;
    const revoked = list();
    await run(bindTasks, revoked);
    assert.deepEqual(revoked.response?.result?.tasks, [], 'a tool no longer allowed hides its tasks');
  });
});
