/**
 * Per-upstream revision negotiation (upstream/negotiate.ts): a client on either revision reaches a
 * server on either revision through `portcullis run`, and the translation works both ways.
 *
 * Servers: the conformance suite's 0.2.x example server (2026-capable: `server/discover`, stateless
 * requests, `input_required` results; over HTTP) and server-everything (2025 only; over stdio).
 * Clients: the v2 client pinned to 2026-07-28 and the v1 SDK client on 2025-11-25. Proof that the
 * gateway speaks 2026-07-28 to the example server: it lists the tools that server offers only on
 * its stateless path (25 instead of 14), and answers the `input_required` tools, whose retries the
 * server checks against its own `requestState`.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { noConformanceServers, prepareServer, SERVER_2026, startServer } from '../helpers/conformance-server.ts';
import { readAudit, rpcError, startEverythingHttp, startGateway, tempDir, textOf, type RunningChild, type RunningGateway } from '../helpers/gateway-process.ts';

const MODERN = '2026-07-28';
/** Tools the example server lists only to 2026-07-28 requests. */
const MODERN_ONLY = ['test_input_required_result_elicitation', 'test_input_required_result_sampling', 'test_input_required_result_multi_round'];

const yaml = (server: string) => `
mcp:
  servers:
${server}
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`;
const MODERN_SERVER = (url: string) => `    - name: modern\n      url: ${url}`;
const LEGACY_STDIO = `    - name: legacy\n      command: "\${NODE}"\n      args: ["\${EVERYTHING}", "stdio"]`;
const LEGACY_HTTP = (url: string) => `    - name: legacy\n      url: ${url}`;

/** The v1 client on 2025-11-25, answering sampling, elicitation and roots as a person and model would. */
async function v1Client(url: string, capabilities: Record<string, unknown> = { sampling: {}, elicitation: {}, roots: {} }): Promise<V1Client> {
  const c = new V1Client({ name: 'e2e-v1', version: '1.0.0' }, { capabilities });
  if (capabilities.sampling) c.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'stub', stopReason: 'endTurn', content: { type: 'text', text: 'Paris' } }));
  if (capabilities.elicitation) c.setRequestHandler(ElicitRequestSchema, async (req) => ({ action: 'accept', content: /name/.test(String(req.params.message)) ? { name: 'Ada' } : { ok: true, color: 'green' } }));
  if (capabilities.roots) c.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///tmp/a', name: 'a' }, { uri: 'file:///tmp/b', name: 'b' }] }));
  await c.connect(new V1Transport(new URL(url)));
  assert.equal((c as unknown as { _transport: { protocolVersion?: string } })._transport.protocolVersion, '2025-11-25');
  return c;
}

/** The v2 client pinned to 2026-07-28 (a silent fallback to 2025 fails the connect). */
async function v2Client(url: string): Promise<V2Client> {
  const c = new V2Client(
    { name: 'e2e-v2', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} }, roots: {} }, versionNegotiation: { mode: { pin: MODERN } } } as ConstructorParameters<typeof V2Client>[1],
  );
  c.setRequestHandler('sampling/createMessage' as never, (async () => ({ role: 'assistant', content: { type: 'text', text: 'Paris' }, model: 'stub', stopReason: 'endTurn' })) as never);
  c.setRequestHandler('elicitation/create' as never, (async (req: { params: { message?: string } }) => ({ action: 'accept', content: /name/.test(String(req.params.message)) ? { name: 'Ada' } : { ok: true, color: 'green' } })) as never);
  c.setRequestHandler('roots/list' as never, (async () => ({ roots: [{ uri: 'file:///tmp/a', name: 'a' }] })) as never);
  await c.connect(new V2Transport(new URL(url)));
  assert.equal((c as unknown as { getProtocolEra(): string }).getProtocolEra(), 'modern');
  return c;
}

describe('a 2026-capable server (the conformance example) through portcullis run', { skip: noConformanceServers() }, () => {
  const work = tempDir('portcullis-negotiation-');
  const procs: ChildProcess[] = [];
  let gw: RunningGateway;
  let url: string;

  before(async () => {
    const dir = join(work, 'server');
    await prepareServer(SERVER_2026, dir);
    url = await startServer(dir, procs);
    gw = await startGateway(yaml(MODERN_SERVER(url)));
  });
  after(async () => {
    await gw?.stop();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) await new Promise((r) => (p.once('exit', r), p.kill('SIGTERM')));
    rmSync(work, { recursive: true, force: true });
  });

  describe('2025-11-25 client (v1 SDK)', () => {
    let c: V1Client;
    before(async () => {
      c = await v1Client(gw.url);
    });
    after(() => c?.close());

    test('lists what the server offers on 2026-07-28, under the server name the example gives there', async () => {
      const names = (await c.listTools()).tools.map((t) => t.name);
      for (const n of MODERN_ONLY) assert.ok(names.includes(n), `${n} listed (got ${names.length}: ${names.join(', ')})`);
      assert.equal(c.getServerVersion()?.name, 'everything-stateless-server');
    });

    test('a plain call: the result carries no 2026 resultType', async () => {
      const r = await c.callTool({ name: 'test_simple_text', arguments: {} });
      assert.match(textOf(r), /simple text/i);
      assert.equal((r as Record<string, unknown>).resultType, undefined);
      assert.equal((r as Record<string, unknown>).ttlMs, undefined);
    });

    test('input_required elicitation becomes an elicitation/create request to the client', async () => {
      const r = await c.callTool({ name: 'test_input_required_result_elicitation', arguments: {} });
      assert.equal(textOf(r), 'Hello, Ada!');
    });

    test('input_required sampling becomes a sampling/createMessage request to the client', async () => {
      const r = await c.callTool({ name: 'test_input_required_result_sampling', arguments: {} });
      assert.equal(textOf(r), 'Sampling result: Paris');
    });

    test('input_required roots becomes roots/list', async () => {
      const r = await c.callTool({ name: 'test_input_required_result_list_roots', arguments: {} });
      assert.equal(textOf(r), 'Found 2 root(s)');
    });

    test("several rounds, each retried with the server's own requestState", async () => {
      const r = await c.callTool({ name: 'test_input_required_result_multi_round', arguments: {} });
      assert.equal(textOf(r), 'Multi-round complete for Ada who likes green');
      const state = await c.callTool({ name: 'test_input_required_result_request_state', arguments: {} });
      assert.match(textOf(state), /state-ok/);
    });

    test('a client without the capability gets INPUT_UNAVAILABLE, not a hang', async () => {
      const bare = await v1Client(gw.url, {});
      try {
        const e = await rpcError(bare.callTool({ name: 'test_input_required_result_elicitation', arguments: {} }));
        assert.equal(e.code, -32003);
        assert.equal(e.data?.reason, 'INPUT_UNAVAILABLE');
      } finally {
        await bare.close();
      }
    });
  });

  describe('2026-07-28 client (v2 client)', () => {
    let c: V2Client;
    before(async () => {
      c = await v2Client(gw.url);
    });
    after(() => c?.close());

    test('lists what the server offers on 2026-07-28', async () => {
      const names = (await c.listTools()).tools.map((t) => t.name);
      for (const n of MODERN_ONLY) assert.ok(names.includes(n), `${n} listed`);
    });

    test('input_required passes through: the client answers, the retry completes', async () => {
      assert.equal(textOf(await c.callTool({ name: 'test_input_required_result_elicitation', arguments: {} })), 'Hello, Ada!');
      assert.equal(textOf(await c.callTool({ name: 'test_input_required_result_sampling', arguments: {} })), 'Sampling result: Paris');
    });

    test("the server's requestState survives the round trip (the server checks it), over several rounds", async () => {
      assert.match(textOf(await c.callTool({ name: 'test_input_required_result_request_state', arguments: {} })), /state-ok/);
      assert.equal(textOf(await c.callTool({ name: 'test_input_required_result_multi_round', arguments: {} })), 'Multi-round complete for Ada who likes green');
    });
  });

  test('revision: session keeps the initialize session: the 2025 side of a server that serves both', async () => {
    const session = await startGateway(yaml(`${MODERN_SERVER(url)}\n      revision: session`));
    const c = await v1Client(session.url);
    try {
      const names = (await c.listTools()).tools.map((t) => t.name);
      assert.ok(!names.includes(MODERN_ONLY[0]), 'the 2026-only tools are not offered on the session');
      // A tool that asks with its own server-to-client request, which only the 2025 side can send.
      const r = await c.callTool({ name: 'test_elicitation', arguments: { message: 'your name?' } });
      assert.match(textOf(r), /action=accept/);
    } finally {
      await c.close();
      await session.stop();
    }
  });

  test("on the wire, a 2026 caller sees the gateway's token, never the server's state; a forged one is refused", async () => {
    const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } };
    const call = (params: Record<string, unknown>) =>
      fetch(gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'test_input_required_result_request_state' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'test_input_required_result_request_state', arguments: {}, _meta: meta, ...params } }),
      }).then((r) => r.json() as Promise<{ result?: Record<string, unknown>; error?: { code: number } }>);
    const first = await call({});
    assert.equal(first.result?.resultType, 'input_required');
    const token = String(first.result?.requestState);
    assert.doesNotMatch(token, /request-state|\{/, 'the server state (JSON) is not shown to the caller');
    const forged = await call({ requestState: JSON.stringify({ kind: 'request-state' }), inputResponses: { confirm: { action: 'accept', content: { ok: true } } } });
    assert.equal(forged.error?.code, -32602);
    const key = Object.keys(first.result?.inputRequests as object)[0];
    const done = await call({ requestState: token, inputResponses: { [key]: { action: 'accept', content: { ok: true } } } });
    assert.match(JSON.stringify(done.result?.content), /state-ok/);
    assert.equal(done.result?.resultType, 'complete');
    // The token is spent: a replay is refused.
    assert.equal((await call({ requestState: token, inputResponses: { [key]: { action: 'accept', content: { ok: true } } } })).error?.code, -32602);
  });
});

for (const transport of ['stdio', 'http'] as const) describe(`a 2025-only server (server-everything over ${transport}) through portcullis run`, () => {
  let gw: RunningGateway;
  let upstream: RunningChild | undefined;
  before(async () => {
    // Over HTTP a 2025 server refuses the session-less probe with HTTP 400 and a null id.
    if (transport === 'http') upstream = await startEverythingHttp();
    gw = await startGateway(yaml(upstream ? LEGACY_HTTP(upstream.url) : LEGACY_STDIO));
  });
  after(async () => {
    await gw?.stop();
    await upstream?.stop();
  });

  test('the 2025 client: initialize session upstream, calls and server requests as before', async () => {
    const c = await v1Client(gw.url);
    try {
      assert.equal(textOf(await c.callTool({ name: 'echo', arguments: { message: 'hi' } })), 'Echo: hi');
      const r = await c.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.match(JSON.stringify(r.content), /accept/);
    } finally {
      await c.close();
    }
  });

  test("the 2026 client: the server's sampling request becomes input_required, and the call completes", async () => {
    const c = await v2Client(gw.url);
    try {
      assert.equal(textOf(await c.callTool({ name: 'echo', arguments: { message: 'hi' } })), 'Echo: hi');
      const r = await c.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'capital?', maxTokens: 10 } });
      assert.match(JSON.stringify(r.content), /Paris/);
    } finally {
      await c.close();
    }
  });

  test('the probe a 2025 server refuses is not reported as a server fault', () => {
    const faults = readAudit(gw.auditPath).filter((r) => r.event === 'upstream_error');
    assert.deepEqual(faults, []);
  });
});
