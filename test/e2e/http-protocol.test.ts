/**
 * The Streamable HTTP wire of `portcullis run`, byte for byte, with plain `fetch`: the
 * 2026-07-28 stateless POST (envelope, routing headers, -32020/-32022, result shape), the
 * 2025-11-25 session lifecycle (Mcp-Session-Id, GET stream, DELETE), limits and plain HTTP errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.ts';
import { post, sseMessages, type Reply } from '../helpers/http-wire.ts';

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';
const MAX_MESSAGE = 4096;

const CONFIG = `mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess:
      defaultPolicy: allow
      deniedTools: [get-env]
    rateLimiting: { enabled: true, burstSize: 5, requestsPerMinute: 1, cooldownSeconds: 60 }
    validation: { maxMessageSize: ${MAX_MESSAGE} }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}", rotation: none }]
`;

type Json = Record<string, any>;

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'e2e-raw', version: '1.0.0' },
};

let nextId = 1;

/** A 2026-07-28 request body: params plus the `_meta` envelope. */
function modernBody(method: string, params: Json = {}, meta: Json = {}): Json {
  return { jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: { ...ENVELOPE, ...meta } } };
}

/** The headers a conforming 2026-07-28 client sends for that body. */
function modernHeaders(body: Json): Record<string, string> {
  const h: Record<string, string> = {
    'mcp-protocol-version': MODERN,
    'mcp-method': body.method,
  };
  if (body.method === 'tools/call' || body.method === 'prompts/get') h['mcp-name'] = body.params.name;
  if (body.method === 'resources/read') h['mcp-name'] = body.params.uri;
  return h;
}

function assertHeaderMismatch(r: Reply, id: unknown): void {
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json?.error?.code, -32020, r.text);
  assert.equal(r.json?.id, id);
}

describe('Streamable HTTP wire (portcullis run)', () => {
  let gw: RunningGateway;
  let url: string;
  before(async () => {
    gw = await startGateway(CONFIG);
    url = gw.url;
  });
  after(async () => {
    await gw?.stop();
  });

  describe('2026-07-28 stateless POST', () => {
    test('tools/call: 200 JSON, resultType complete, serverInfo in _meta, no session', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'wire' } });
      const r = await post(url, body, modernHeaders(body));
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(r.headers.get('mcp-session-id'), null, 'a 2026-07-28 request opens no session');
      assert.equal(r.json?.id, body.id);
      const result = r.json?.result;
      assert.equal(result?.resultType, 'complete');
      assert.deepEqual(result?.content, [{ type: 'text', text: 'Echo: wire' }]);
      const info = result?._meta?.['io.modelcontextprotocol/serverInfo'];
      assert.equal(typeof info?.name, 'string');
      assert.equal(typeof info?.version, 'string');
    });

    test('tools/list: cacheable result with ttlMs and cacheScope; denied tool absent', async () => {
      const body = modernBody('tools/list');
      const r = await post(url, body, modernHeaders(body));
      assert.equal(r.status, 200, r.text);
      const result = r.json?.result;
      assert.equal(result?.resultType, 'complete');
      assert.ok(Number.isInteger(result?.ttlMs) && result.ttlMs >= 0, `ttlMs: ${result?.ttlMs}`);
      assert.ok(['public', 'private'].includes(result?.cacheScope), `cacheScope: ${result?.cacheScope}`);
      const names = (result?.tools as Json[]).map((t) => t.name);
      assert.ok(names.includes('echo'));
      assert.ok(!names.includes('get-env'));
    });

    test('server/discover: supportedVersions and capabilities without tasks', async () => {
      const body = modernBody('server/discover');
      const r = await post(url, body, modernHeaders(body));
      assert.equal(r.status, 200, r.text);
      const result = r.json?.result;
      assert.deepEqual(result?.supportedVersions, [MODERN]);
      assert.equal(result?.resultType, 'complete');
      assert.ok(result?.capabilities?.tools);
      assert.equal(result?.capabilities?.tasks, undefined);
      assert.ok(Number.isInteger(result?.ttlMs));
    });

    test('Mcp-Method header different from the body method: 400 / -32020', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'x' } });
      assertHeaderMismatch(await post(url, body, { ...modernHeaders(body), 'mcp-method': 'tools/list' }), body.id);
    });

    test('Mcp-Name header different from params.name: 400 / -32020', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'x' } });
      assertHeaderMismatch(await post(url, body, { ...modernHeaders(body), 'mcp-name': 'get-sum' }), body.id);
    });

    test('Mcp-Name header missing on tools/call: 400 / -32020', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'x' } });
      const { 'mcp-name': _dropped, ...headers } = modernHeaders(body);
      assertHeaderMismatch(await post(url, body, headers), body.id);
    });

    test('MCP-Protocol-Version header different from the envelope version: 400 / -32020', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'x' } });
      assertHeaderMismatch(await post(url, body, { ...modernHeaders(body), 'mcp-protocol-version': LEGACY }), body.id);
    });

    test('MCP-Protocol-Version header missing on an enveloped request: 400 / -32020', async () => {
      const body = modernBody('tools/list');
      const { 'mcp-protocol-version': _dropped, ...headers } = modernHeaders(body);
      assertHeaderMismatch(await post(url, body, headers), body.id);
    });

    test('_meta missing, or missing protocolVersion or clientCapabilities: 400 / -32602, before any header comparison (SEP-2575)', async () => {
      const { [`io.modelcontextprotocol/protocolVersion`]: _v, ...noVersion } = ENVELOPE;
      const { [`io.modelcontextprotocol/clientCapabilities`]: _c, ...noCapabilities } = ENVELOPE;
      for (const [what, params] of [['no _meta', {}], ['no protocolVersion', { _meta: noVersion }], ['no clientCapabilities', { _meta: noCapabilities }]] as const) {
        const body = { jsonrpc: '2.0', id: nextId++, method: 'server/discover', params };
        const r = await post(url, body, modernHeaders(body));
        assert.equal(r.status, 400, `${what}: ${r.text}`);
        assert.equal(r.json?.error?.code, -32602, `${what}: ${r.text}`);
        assert.equal(r.json?.id, body.id);
      }
    });

    test('removed and unknown methods: 404 / -32601 with the request id (2026-07-28 transports)', async () => {
      for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'no/such-method']) {
        const body = modernBody(method, method === 'logging/setLevel' ? { level: 'info' } : method.startsWith('resources/') ? { uri: 'test://x' } : {});
        const r = await post(url, body, modernHeaders(body));
        assert.equal(r.status, 404, `${method}: ${r.text}`);
        assert.equal(r.json?.error?.code, -32601, `${method}: ${r.text}`);
        assert.equal(r.json?.id, body.id);
        assert.equal(r.headers.get('mcp-session-id'), null, `${method} opened a session`);
      }
    });

    test('a -32602 answered in the chain is 400 on 2026-07-28 (params that break the schema)', async () => {
      const body = modernBody('tools/list', { cursor: 42 });
      const r = await post(url, body, modernHeaders(body));
      assert.equal(r.json?.error?.code, -32602, r.text);
      assert.equal(r.status, 400, r.text);
    });

    test('base64-sentinel Mcp-Name that decodes to params.name: 200', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'sentinel' } });
      const sentinel = `=?base64?${Buffer.from('echo', 'utf8').toString('base64')}?=`;
      const r = await post(url, body, { ...modernHeaders(body), 'mcp-name': sentinel });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json?.result?.content, [{ type: 'text', text: 'Echo: sentinel' }]);
    });

    test('base64-sentinel Mcp-Name that decodes to another name: 400 / -32020', async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'x' } });
      const sentinel = `=?base64?${Buffer.from('get-sum', 'utf8').toString('base64')}?=`;
      assertHeaderMismatch(await post(url, body, { ...modernHeaders(body), 'mcp-name': sentinel }), body.id);
    });

    test('unsupported envelope version 2099-01-01: 400 / -32022 with data.supported', async () => {
      const body = modernBody('tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' });
      const r = await post(url, body, { ...modernHeaders(body), 'mcp-protocol-version': '2099-01-01' });
      assert.equal(r.json?.error?.code, -32022, r.text);
      assert.equal(r.json?.id, body.id);
      assert.deepEqual(r.json?.error?.data?.supported, [MODERN]);
      assert.equal(r.json?.error?.data?.requested, '2099-01-01');
      // 2026-07-28 schema, UnsupportedProtocolVersionError: "For HTTP, the response status code MUST be 400".
      assert.equal(r.status, 400, r.text);
    });

    test('progress: the answer turns into SSE with notifications/progress (client token), then the result', async () => {
      const body = modernBody('tools/call', { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 2 } }, { progressToken: 'client-token-7' });
      const r = await post(url, body, modernHeaders(body));
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
      const msgs = sseMessages(r.text);
      const progress = msgs.filter((m) => m.method === 'notifications/progress');
      assert.deepEqual(
        progress.map((m) => [m.params.progressToken, m.params.progress, m.params.total]),
        [
          ['client-token-7', 1, 2],
          ['client-token-7', 2, 2],
        ],
      );
      const last = msgs.at(-1)!;
      assert.equal(last.id, body.id, 'the result is the last event');
      assert.equal(last.result?.resultType, 'complete');
      assert.match(JSON.stringify(last.result.content), /Long running operation completed/);
      assert.equal(msgs.indexOf(last), msgs.length - 1);
    });

    test('a 2026-07-28 notification POST: 202, empty body', async () => {
      const r = await post(url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'none-such', _meta: ENVELOPE } }, { 'mcp-protocol-version': MODERN });
      assert.equal(r.status, 202);
      assert.equal(r.text, '');
    });

    test('rate limiting applies to 2026-07-28 callers too (no per-request bucket)', async () => {
      // burstSize 5: a caller cannot make 12 calls in a row just because each is its own request.
      const codes: (number | 'ok')[] = [];
      for (let i = 0; i < 12; i++) {
        const body = modernBody('tools/call', { name: 'get-sum', arguments: { a: i, b: 1 } });
        const r = await post(url, body, modernHeaders(body));
        codes.push(r.json?.error?.code ?? 'ok');
      }
      assert.ok(codes.includes(-32010), `no call was rate limited: ${codes.join(',')}`);
    });
  });

  describe('2025-11-25 sessions', () => {
    let sid: string;

    test('initialize returns an Mcp-Session-Id (>= 22 chars, base64url)', async () => {
      const r = await post(url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'e2e-raw', version: '1.0.0' } } });
      assert.equal(r.status, 200, r.text);
      const id = r.headers.get('mcp-session-id');
      assert.ok(id, 'Mcp-Session-Id header');
      assert.ok(id.length >= 22, `session id too short: ${id}`);
      assert.match(id, /^[A-Za-z0-9_-]+$/);
      const result = r.json?.result ?? sseMessages(r.text).at(-1)?.result;
      assert.equal(result?.protocolVersion, LEGACY);
      sid = id;
    });

    test('a request without a session id: 400', async () => {
      const r = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-protocol-version': LEGACY });
      assert.equal(r.status, 400, r.text);
    });

    test('a request with an unknown session id: 404', async () => {
      const r = await post(url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-protocol-version': LEGACY, 'mcp-session-id': 'AAAAAAAAAAAAAAAAAAAAAA' });
      assert.equal(r.status, 404, r.text);
    });

    test('an unsupported MCP-Protocol-Version header in a session: 400 (spec: MUST)', async () => {
      const r = await post(url, { jsonrpc: '2.0', id: 30, method: 'tools/list' }, { 'mcp-protocol-version': '2099-01-01', 'mcp-session-id': sid });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json?.id, 30);
      assert.ok(r.json?.error, r.text);
    });

    test('notifications/initialized: 202', async () => {
      const r = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-protocol-version': LEGACY, 'mcp-session-id': sid });
      assert.equal(r.status, 202, r.text);
    });

    test('tools/list in the session: 200', async () => {
      const r = await post(url, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, { 'mcp-protocol-version': LEGACY, 'mcp-session-id': sid });
      assert.equal(r.status, 200, r.text);
      const result = r.json?.result ?? sseMessages(r.text).at(-1)?.result;
      assert.ok((result?.tools as Json[]).some((t) => t.name === 'echo'));
      assert.equal(result?.resultType, undefined, 'no 2026 fields on a 2025 answer');
    });

    test('GET with the session id and Accept text/event-stream: 200 event-stream', async () => {
      const ac = new AbortController();
      const res = await fetch(url, { method: 'GET', headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY }, signal: ac.signal });
      try {
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      } finally {
        ac.abort();
        await res.body?.cancel().catch(() => {});
      }
    });

    test('notifications/cancelled ends the request stream with no response (spec: cancellation)', async () => {
      const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': LEGACY, 'mcp-session-id': sid };
      const id = 50;
      const res = await fetch(url, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: { duration: 6, steps: 6 }, _meta: { progressToken: 'p50' } } }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let text = '';
      while (!sseMessages(text).some((m) => m.method === 'notifications/progress')) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'stream ended before any progress');
        text += dec.decode(value, { stream: true });
      }
      const c = await post(url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'test' } }, { 'mcp-protocol-version': LEGACY, 'mcp-session-id': sid });
      assert.equal(c.status, 202);
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      const answered = sseMessages(text).filter((m) => m.id === id);
      assert.deepEqual(answered, [], 'a cancelled request gets no response');
    });

    test('DELETE ends the session: 200, then that session id is 404', async () => {
      const d = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY } });
      await d.text();
      assert.equal(d.status, 200);
      const r = await post(url, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, { 'mcp-protocol-version': LEGACY, 'mcp-session-id': sid });
      assert.equal(r.status, 404, r.text);
    });
  });

  describe('limits and plain HTTP', () => {
    test(`a body over maxMessageSize (${MAX_MESSAGE}): 413 MESSAGE_TOO_LARGE, and the gateway answers the next request`, async () => {
      const body = modernBody('tools/call', { name: 'echo', arguments: { message: 'x'.repeat(MAX_MESSAGE + 100) } });
      const r = await post(url, body, modernHeaders(body));
      assert.equal(r.status, 413, r.text);
      assert.equal(r.json?.error?.data?.reason, 'MESSAGE_TOO_LARGE');
      const next = modernBody('tools/list');
      const ok = await post(url, next, modernHeaders(next));
      assert.equal(ok.status, 200, ok.text);
      assert.ok(Array.isArray(ok.json?.result?.tools));
    });

    test('a chunked body over the limit (no Content-Length): 413', async () => {
      const big = JSON.stringify(modernBody('tools/list', { pad: 'y'.repeat(MAX_MESSAGE * 4) }));
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          const bytes = new TextEncoder().encode(big);
          for (let i = 0; i < bytes.length; i += 1024) c.enqueue(bytes.subarray(i, i + 1024));
          c.close();
        },
      });
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      const text = await res.text();
      assert.equal(res.status, 413, text);
    });

    test('a path other than mcp.listen.path: 404', async () => {
      const res = await fetch(new URL('/not-mcp', url));
      await res.text();
      assert.equal(res.status, 404);
    });

    test('PUT: 405', async () => {
      const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      await res.text();
      assert.equal(res.status, 405);
    });
  });
});
