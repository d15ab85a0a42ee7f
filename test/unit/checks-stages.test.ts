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
import { validateArguments } from '../../src/checks/validate-arguments.ts';
import { validateMessage } from '../../src/checks/validate-message.ts';
import { loadConfigText } from '../../src/config/load.ts';
import type { CallContext } from '../../src/pipeline/types.ts';
import { parseJsonBytes } from '../../src/protocol/safe-json.ts';
import { rememberWireSize } from '../../src/protocol/wire-size.ts';
import { catalogTool, fakeServices, run, session, toolCall } from '../helpers/fake-services.ts';

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
