/**
 * A frame over maxMessageSize is refused before parsing, and the refusal answers the request that
 * sent it: its id is read from the frame's first bytes. Before, the error carried `"id": null`
 * and the client's call hung until its own timeout. Through a real `portcullis wrap` with the v1
 * SDK client over stdio, and through `portcullis run` over HTTP (413 with the id).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, NODE, readAudit, startGateway, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

const MAX = 65536;
const CONFIG = `
mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    validation: { maxMessageSize: ${MAX} }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}" }]
`;
const BIG = 'x'.repeat(200 * 1024);

describe('an oversized frame through portcullis wrap (v1 SDK client)', () => {
  const cfg = writeConfig(CONFIG);
  let client: Client;

  before(async () => {
    const { command, args } = wrapCommand([NODE, EVERYTHING, 'stdio'], cfg.path);
    client = new Client({ name: 'oversized-e2e', version: '1' });
    await client.connect(new StdioClientTransport({ command, args, stderr: 'pipe' }));
  });
  after(async () => {
    await client?.close();
  });

  test('callTool with 200 KB of arguments is refused with MESSAGE_TOO_LARGE for that call, not left to time out', async () => {
    // A timeout here would reject with RequestTimeout (-32001): only the gateway's answer gives -32600.
    const err = await client.callTool({ name: 'echo', arguments: { message: BIG } }, undefined, { timeout: 60_000 }).then(
      () => assert.fail('the call must be refused'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof McpError, String(err));
    assert.equal(err.code, -32600);
    assert.equal((err.data as { reason?: string } | undefined)?.reason, 'MESSAGE_TOO_LARGE');
    const ok = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    assert.match(JSON.stringify(ok.content), /still here/);
  });

  test('the refusal is audited with the request id', async () => {
    const rec = readAudit(cfg.auditPath).find((r) => r.event === 'schema_validation_failed' && r.code === 'MESSAGE_TOO_LARGE');
    assert.ok(rec);
    assert.equal(typeof rec.requestId, 'number');
  });
});

describe('an oversized body through portcullis run (HTTP)', () => {
  let gw: RunningGateway;
  let sid: string;
  const headers = (extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': sid, ...extra });

  before(async () => {
    gw = await startGateway(`mcp:
  servers:
    - { name: everything, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }
${CONFIG.replace(/^\nmcp:\n/, '')}`);
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } }),
    });
    await init.text();
    sid = init.headers.get('mcp-session-id')!;
    assert.ok(sid);
  });
  after(async () => {
    await gw?.stop();
  });

  const call = (id: number | string) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'everything__echo', arguments: { message: BIG } } });

  test('with Content-Length: 413 carrying the request id', async () => {
    const res = await fetch(gw.url, { method: 'POST', headers: headers(), body: call(77) });
    const body = (await res.json()) as { id: unknown; error: { code: number; data?: { reason?: string } } };
    assert.equal(res.status, 413);
    assert.equal(body.id, 77);
    assert.equal(body.error.code, -32600);
    assert.equal(body.error.data?.reason, 'MESSAGE_TOO_LARGE');
  });

  test('chunked, without Content-Length: 413 carrying the request id', async () => {
    const bytes = new TextEncoder().encode(call('req-chunked'));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < bytes.length; i += 1024) c.enqueue(bytes.subarray(i, i + 1024));
        c.close();
      },
    });
    const res = await fetch(gw.url, { method: 'POST', headers: headers(), body: stream, duplex: 'half' } as RequestInit);
    const body = (await res.json()) as { id: unknown };
    assert.equal(res.status, 413);
    assert.equal(body.id, 'req-chunked');
  });

  test('an id inside params is never taken for the request id', async () => {
    const post = async (msg: object) => {
      const res = await fetch(gw.url, { method: 'POST', headers: headers(), body: JSON.stringify(msg) });
      assert.equal(res.status, 413);
      return ((await res.json()) as { id: unknown }).id;
    };
    const params = { name: 'everything__echo', arguments: { id: 999, message: BIG } };
    assert.equal(await post({ jsonrpc: '2.0', method: 'tools/call', params, id: 78 }), 78, 'the last member is the id');
    assert.equal(await post({ jsonrpc: '2.0', method: 'tools/call', params, id: 79, x: 1 }), null, 'the id is neither first nor last: unknown, so null, never 999');
  });
});
