/**
 * Checks on their own, each given a small fake of the services it may use (ChainServices,
 * test/helpers/fake-services.ts) instead of a gateway: what they refuse, with which code, and what
 * they put in the audit record; and that a shared state that cannot answer (STATE_UNAVAILABLE)
 * refuses the call and is audited, never waved through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerLocally } from '../../src/checks/answer-locally.ts';
import { auditCall } from '../../src/checks/audit-call.ts';
import { authorize } from '../../src/checks/authorize.ts';
import { lockdown } from '../../src/checks/lockdown.ts';
import { revocation } from '../../src/checks/revocation.ts';
import { route } from '../../src/checks/route.ts';
import { throttle } from '../../src/checks/throttle.ts';
import type { AccessDecision } from '../../src/policy/tool-policy.ts';
import { fakeServices, run, toolCall, unavailable } from '../helpers/fake-services.ts';

describe('checks with fake services', () => {
  it('throttle: the bucket that refuses is named in the audit; the refusal says when to retry', async () => {
    const s = fakeServices({ mcp: { security: { rateLimiting: { requestsPerMinute: 1, burstSize: 2, perServer: { requestsPerMinute: 1, burstSize: 1 } } } } });
    assert.equal(await run(throttle, toolCall(s)), 'next');
    const ctx = toolCall(s);
    assert.equal(await run(throttle, ctx), 'RATE_LIMITED');
    assert.equal(ctx.audit.rule, 'rateLimiting.perServer');
    assert.match(ctx.audit.reason ?? '', /server 'files'/);
  });

  it('throttle: a store that cannot answer refuses the call (fail closed)', async () => {
    const s = fakeServices({ mcp: { security: { rateLimiting: { requestsPerMinute: 60, burstSize: 5 } } } });
    const broken = Object.assign(Object.create(Object.getPrototypeOf(s.rateLimiter)), s.rateLimiter, { takeAll: async () => unavailable() });
    assert.equal(await run(throttle, toolCall({ ...s, rateLimiter: broken })), 'STATE_UNAVAILABLE');
  });

  it('lockdown: refused with LOCKDOWN unless allowlisted; an unreadable incident state refuses', async () => {
    const on = (allowed?: string) => fakeServices({ incident: { lockdown: () => ({ active: true, reason: 'incident 9', allowed: () => allowed }), isServerDisabled: () => false, revocationOf: () => undefined } });
    const ctx = toolCall(on());
    assert.equal(await run(lockdown, ctx), 'LOCKDOWN');
    assert.equal(ctx.audit.rule, 'lockdown');
    assert.equal(await run(lockdown, toolCall(on('files__read_*'))), 'next');
    assert.equal(await run(lockdown, toolCall(fakeServices({ incident: { lockdown: unavailable, isServerDisabled: () => false, revocationOf: () => undefined } }))), 'STATE_UNAVAILABLE');
  });

  it('revocation: a revoked credential is UNAUTHENTICATED; an unreadable incident state refuses', async () => {
    const revoked = fakeServices({ incident: { lockdown: () => ({ active: false, allowed: () => undefined }), isServerDisabled: () => false, revocationOf: () => ({ at: '2026-01-01T00:00:00Z', scope: 'subject:alice' }) } });
    const ctx = toolCall(revoked);
    assert.equal(await run(revocation, ctx), 'UNAUTHENTICATED');
    assert.equal(ctx.audit.rule, 'revocation');
    assert.equal(await run(revocation, toolCall(fakeServices({ incident: { lockdown: () => ({ active: false, allowed: () => undefined }), isServerDisabled: () => false, revocationOf: unavailable } }))), 'STATE_UNAVAILABLE');
  });

  it('authorize: a denied tool looks unknown on the wire, the rule goes to the audit', async () => {
    const s = fakeServices({ decide: () => ({ allowed: false, rule: 'deniedTools[0]' }) as AccessDecision });
    const ctx = toolCall(s);
    assert.equal(await run(authorize, ctx), 'UNKNOWN_TOOL');
    assert.equal(ctx.audit.rule, 'deniedTools[0]');
    assert.equal(await run(authorize, toolCall(fakeServices())), 'next');
  });

  it('route: a name no server has is an unknown tool', async () => {
    const ctx = toolCall(fakeServices(), { target: undefined });
    assert.equal(await run(route, ctx), 'UNKNOWN_TOOL');
    assert.match(ctx.audit.reason ?? '', /unknown tool 'files__read_file'/);
  });

  it('answerLocally: a method the gateway answers is not passed on', async () => {
    const s = fakeServices({ localHandlers: new Map([['ping', async () => ({})]]) });
    const ctx = toolCall(s, { method: 'ping', req: { jsonrpc: '2.0', id: 7, method: 'ping' } });
    assert.equal(await run(answerLocally, ctx), 'answered');
    assert.deepEqual(ctx.response, { jsonrpc: '2.0', id: 7, result: {} });
    assert.equal(await run(answerLocally, toolCall(s)), 'next');
  });

  it('auditCall: a call refused because shared state is away is audited as a denial with its code and detail', async () => {
    const s = fakeServices();
    const ctx = toolCall(s);
    await auditCall(ctx, async () => unavailable());
    assert.equal(ctx.error?.code, 'STATE_UNAVAILABLE');
    s.audit.settle(); // the call's record is emitted once its answer is out (emitSoon)
    const r = s.records.find((x) => x.event === 'tool_denied');
    assert.ok(r, JSON.stringify(s.records));
    assert.equal(r.code, 'STATE_UNAVAILABLE');
    assert.equal(r.connection, 'http:203.0.113.5:4711');
    assert.match(String(r.reason), /redis down/);
  });
});
