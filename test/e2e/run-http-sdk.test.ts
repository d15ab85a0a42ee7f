/**
 * `portcullis run` end to end over Streamable HTTP, with the v1 SDK client
 * (`StreamableHTTPClientTransport`), in front of the real server-everything reached two ways:
 * as a stdio child of the gateway, and as a Streamable HTTP server the test starts itself.
 * Also: many clients on one gateway, slow calls beside fast ones, rate limits, two servers behind
 * one endpoint, and the session lifecycle (DELETE).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { readAudit, rpcError, startEverythingHttp, startGateway, stopProcess, textOf, type RunningChild, type RunningGateway } from '../helpers/gateway-process.ts';

const CANNED = 'canned completion over http 41c9';
const PROTOCOL = '2025-11-25';

const POLICY = `
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum, trigger-long-running-operation, trigger-sampling-request, trigger-elicitation-request, gzip-file-as-resource]
      deniedTools: [get-env]
    rateLimiting: {requestsPerMinute: 6000, burstSize: 500}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

const STDIO_UPSTREAM = `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
${POLICY}`;

const httpUpstream = (url: string) => `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      url: "${url}"
${POLICY}`;

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
  errors: Error[];
}

async function connect(url: string): Promise<Connected> {
  const transport = new StreamableHTTPClientTransport(new URL(url));
  const client = new Client({ name: 'portcullis-e2e-http', version: '0.0.1' }, { capabilities: { sampling: {}, elicitation: { form: {} } } });
  const errors: Error[] = [];
  client.onerror = (err) => errors.push(err);
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant',
    model: 'e2e-stub',
    stopReason: 'endTurn',
    content: { type: 'text', text: CANNED },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Portcullis' } }));
  await client.connect(transport);
  return { client, transport, errors };
}

async function disconnect(c: Connected | undefined): Promise<void> {
  if (!c) return;
  await c.transport.terminateSession().catch(() => {});
  await c.client.close().catch(() => {});
}

/** The calls every deployment must carry, whatever the upstream transport. */
function coreScenarios(label: string, start: () => Promise<{ gw: RunningGateway; extra?: RunningChild }>) {
  describe(label, () => {
    let gw: RunningGateway;
    let extra: RunningChild | undefined;
    let c: Connected;

    before(async () => {
      ({ gw, extra } = await start());
      c = await connect(gw.url);
    });

    after(async () => {
      await disconnect(c);
      if (gw) await stopProcess(gw.proc);
      if (extra) await extra.stop();
    });

    test('tools/list is filtered and tools/call echo works', async () => {
      const names = (await c.client.listTools()).tools.map((t) => t.name);
      // On failure, say what was listed and what the gateway logged (a CI run once listed no echo).
      assert.ok(names.includes('echo'), `listed: ${names.join(', ')}\ngateway stderr:\n${gw.stderr()}\naudit:\n${gw.audit().filter((r) => r.decision === 'deny' || r.event === 'upstream_error').map((r) => JSON.stringify(r)).join('\n')}`);
      assert.ok(!names.includes('get-env'), 'denied');
      assert.ok(!names.includes('get-tiny-image'), 'not allowlisted');
      const r = await c.client.callTool({ name: 'echo', arguments: { message: `via ${label}` } });
      assert.equal(textOf(r), `Echo: via ${label}`);
      const e = await rpcError(c.client.callTool({ name: 'get-env', arguments: {} }));
      assert.equal(e.code, -32602);
      assert.match(e.message, /Unknown tool/);
    });

    test('prompts/list and prompts/get', async () => {
      const { prompts } = await c.client.listPrompts();
      assert.ok(prompts.some((p) => p.name === 'args-prompt'));
      const got = await c.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon' } });
      assert.match(JSON.stringify(got.messages), /Lisbon/);
    });

    test('resources/list, resources/read and resources/templates/list', async () => {
      const { resources } = await c.client.listResources();
      const demo = resources.find((r) => r.uri.startsWith('demo://'));
      assert.ok(demo, 'a demo:// resource is listed');
      const read = await c.client.readResource({ uri: demo.uri });
      assert.equal(read.contents[0]?.uri, demo.uri);
      const { resourceTemplates } = await c.client.listResourceTemplates();
      assert.ok(resourceTemplates.some((t) => t.uriTemplate.startsWith('demo://resource/dynamic/')));
    });

    test('progress notifications arrive with increasing values', async () => {
      const seen: number[] = [];
      const r = await c.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      assert.match(textOf(r), /Long running operation completed/);
      assert.ok(seen.length >= 1, 'at least one progress notification');
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `increasing: ${seen.join(',')}`);
    });

    test('sampling and elicitation round-trip through the gateway', async () => {
      const s = await c.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 20 } });
      assert.ok(textOf(s).includes(CANNED), textOf(s));
      const e = await c.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.match(textOf(e), /Portcullis/);
    });

    test('cancellation: the call rejects, gets no answer, and the session goes on', async () => {
      const ac = new AbortController();
      const call = c.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 4 } }, undefined, {
        signal: ac.signal,
        onprogress: () => ac.abort('e2e cancel'),
      });
      await assert.rejects(call);
      const r = await c.client.callTool({ name: 'echo', arguments: { message: 'after cancel' } });
      assert.equal(textOf(r), 'Echo: after cancel');
      const stray = c.errors.filter((e) => /unknown message ID/i.test(e.message));
      assert.deepEqual(stray.map((e) => e.message), [], 'spec: a cancelled request gets no response');
    });
  });
}

coreScenarios('stdio upstream', async () => ({ gw: await startGateway(STDIO_UPSTREAM) }));

coreScenarios('Streamable HTTP upstream', async () => {
  const extra = await startEverythingHttp();
  try {
    return { gw: await startGateway(httpUpstream(extra.url)), extra };
  } catch (err) {
    await extra.stop();
    throw err;
  }
});

describe('one gateway, several clients', () => {
  let gw: RunningGateway;
  let a: Connected;
  let b: Connected;

  before(async () => {
    gw = await startGateway(STDIO_UPSTREAM);
    [a, b] = await Promise.all([connect(gw.url), connect(gw.url)]);
  });

  after(async () => {
    await Promise.all([disconnect(a), disconnect(b)]);
    if (gw) await stopProcess(gw.proc);
  });

  test('40 concurrent calls from two clients: every answer goes to its own request', async () => {
    const calls: Promise<[string, string]>[] = [];
    for (const [tag, conn] of [['A', a], ['B', b]] as const) {
      for (let i = 0; i < 20; i++) {
        const message = `${tag}-${i}-${'x'.repeat(i)}`;
        calls.push(conn.client.callTool({ name: 'echo', arguments: { message } }).then((r) => [message, textOf(r)]));
      }
    }
    const results = await Promise.all(calls);
    assert.equal(results.length, 40);
    for (const [sent, got] of results) assert.equal(got, `Echo: ${sent}`);
  });

  test('a slow call does not hold up a fast one, in the same session or another', async () => {
    const order: string[] = [];
    const slow = a.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 3, steps: 3 } }).then(() => order.push('slow'));
    const sameSession = a.client.callTool({ name: 'echo', arguments: { message: 'fast-a' } }).then(() => order.push('echo-a'));
    const otherSession = b.client.callTool({ name: 'echo', arguments: { message: 'fast-b' } }).then(() => order.push('echo-b'));
    await Promise.all([slow, sameSession, otherSession]);
    assert.equal(order.at(-1), 'slow', `completion order: ${order.join(', ')}`);
  });

  test('a response whose request stream is gone never goes out on the GET stream', async () => {
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: base,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    const sid = init.headers.get('mcp-session-id');
    assert.ok(sid, 'session id');
    await init.text();
    const headers = { ...base, 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL };
    await (await fetch(gw.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();

    const getAbort = new AbortController();
    const get = await fetch(gw.url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL }, signal: getAbort.signal });
    assert.equal(get.status, 200);
    const onGet: Record<string, unknown>[] = [];
    const listChanged = readSse(get.body!, (m) => onGet.push(m), (m) => m.method === 'notifications/resources/list_changed');

    // A slow call whose client goes away after the first progress notification.
    const postAbort = new AbortController();
    const slow = await fetch(gw.url, {
      method: 'POST',
      headers,
      signal: postAbort.signal,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'slow-1', method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 2 }, _meta: { progressToken: 'p-1' } } }),
    });
    await readSse(slow.body!, () => {}, (m) => m.method === 'notifications/progress').catch(() => {});
    postAbort.abort();

    // Something the gateway does put on the GET stream, strictly after the abort was handled:
    // the list_changed that gzip-file-as-resource causes. Anything sent on GET before it was seen by then.
    const gz = await fetch(gw.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'gz-1', method: 'tools/call', params: { name: 'gzip-file-as-resource', arguments: { name: 'e2e.txt.gz', data: 'data:text/plain;base64,aGVsbG8=', outputType: 'resourceLink' } } }),
    });
    await gz.text();
    await listChanged;
    getAbort.abort();
    const responses = onGet.filter((m) => 'id' in m && ('result' in m || 'error' in m));
    assert.deepEqual(responses, [], 'spec (transports): the GET stream MUST NOT carry responses');
  });

  test('DELETE ends the session: the old session id then gets HTTP 404', async () => {
    const c = await connect(gw.url);
    const sid = c.transport.sessionId;
    assert.ok(sid);
    await c.transport.terminateSession();
    await c.client.close();
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL },
      body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }),
    });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error?: { data?: { reason?: string } } };
    assert.equal(body.error?.data?.reason, 'SESSION_NOT_FOUND');
  });
});

test('rate limiting: the call past the burst is refused with -32010 and retryAfterSeconds, and audited', async (t) => {
  const gw = await startGateway(`
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}
    rateLimiting: {enabled: true, burstSize: 3, requestsPerMinute: 1, cooldownSeconds: 60}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
  t.after(() => stopProcess(gw.proc));
  const c = await connect(gw.url);
  t.after(() => disconnect(c));
  for (let i = 1; i <= 3; i++) {
    const r = await c.client.callTool({ name: 'echo', arguments: { message: `n${i}` } });
    assert.equal(textOf(r), `Echo: n${i}`);
  }
  const e = await rpcError(c.client.callTool({ name: 'echo', arguments: { message: 'n4' } }));
  assert.equal(e.code, -32010);
  assert.equal(e.data?.reason, 'RATE_LIMITED');
  assert.ok(typeof e.data?.retryAfterSeconds === 'number' && e.data.retryAfterSeconds > 0, JSON.stringify(e.data));
  await disconnect(c);
  assert.equal(await gw.stop(), 0, gw.stderr());
  const rec = gw.audit().find((r) => r.event === 'rate_limit_exceeded');
  assert.ok(rec, 'a rate_limit_exceeded record');
  assert.equal(rec.tool, 'echo');
  assert.equal(rec.decision, 'deny');
});

test('two servers behind one endpoint are namespaced; bare names are unknown', async (t) => {
  const gw = await startGateway(`
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
    - name: memory
      command: "\${NODE}"
      args: ["\${MEMORY}"]
      env: {MEMORY_FILE_PATH: "\${DIR}/memory.jsonl"}
  security:
    toolAccess: {defaultPolicy: allow, deniedTools: ["*get-env"]}
    rateLimiting: {requestsPerMinute: 6000, burstSize: 500}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
  t.after(() => stopProcess(gw.proc));
  const c = await connect(gw.url);
  t.after(() => disconnect(c));
  const names = (await c.client.listTools()).tools.map((x) => x.name);
  assert.ok(names.includes('everything__echo'), names.join(', '));
  assert.ok(names.includes('memory__read_graph'), names.join(', '));
  assert.ok(!names.includes('echo') && !names.includes('read_graph'), 'no bare names');
  assert.ok(!names.includes('everything__get-env'), 'deny applies to the namespaced name too');
  assert.ok(names.every((n) => n.startsWith('everything__') || n.startsWith('memory__')), names.join(', '));

  const echo = await c.client.callTool({ name: 'everything__echo', arguments: { message: 'ns' } });
  assert.equal(textOf(echo), 'Echo: ns');
  const graph = await c.client.callTool({ name: 'memory__read_graph', arguments: {} });
  assert.deepEqual(JSON.parse(textOf(graph)), { entities: [], relations: [] });

  const bare = await rpcError(c.client.callTool({ name: 'echo', arguments: { message: 'x' } }));
  assert.equal(bare.code, -32602);
  assert.match(bare.message, /Unknown tool/);
});

/**
 * Read an SSE body, handing each JSON message to `onMessage`; resolves when `until` matches one
 * (and stops reading). Rejects if the stream ends first.
 */
async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: Record<string, unknown>) => void, until: (m: Record<string, unknown>) => boolean): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('SSE stream ended before the awaited message');
    buf += value;
    let end: number;
    while ((end = buf.indexOf('\n\n')) !== -1) {
      const event = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      const m = JSON.parse(data) as Record<string, unknown>;
      onMessage(m);
      if (until(m)) {
        void reader.cancel().catch(() => {});
        return;
      }
    }
  }
}
