/**
 * The listener's HTTP hardening against browsers and rebinding (CVE-2025-49596 class): a present
 * Origin must be allowlisted, Host must name this listener (403 + JSON-RPC error + audit), CORS
 * only when configured (then a proper preflight); and the official conformance suite's
 * `dns-rebinding-protection` scenario (@modelcontextprotocol/conformance) passes against a real
 * `portcullis run`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { NODE, ROOT, startGateway, type RunningGateway } from '../helpers/gateway-process.ts';

const CONFORMANCE = join(createRequire(join(ROOT, 'package.json')).resolve('@modelcontextprotocol/conformance/package.json'), '..', 'dist', 'index.js');
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'hardening', version: '1' } } });

const yaml = (listen: string) => `
mcp:
  listen: { host: 127.0.0.1, port: 0${listen} }
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`;

/** A raw request with exactly the headers given (fetch would not let a test set Host). */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method, headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', ...headers } }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Origin and Host validation, CORS off by default', () => {
  let gw: RunningGateway;
  let host: string;
  before(async () => {
    gw = await startGateway(yaml(''));
    host = new URL(gw.url).host;
  });
  after(async () => { await gw?.stop(); });

  test('an evil Origin is refused with 403, a JSON-RPC error and an audit record', async () => {
    const r = await raw(gw.url, 'POST', { host, origin: 'http://evil.example.com' }, INIT);
    assert.equal(r.status, 403);
    const body = JSON.parse(r.body);
    assert.equal(body.error.code, -32600);
    assert.equal(body.error.data.reason, 'ORIGIN_REJECTED');
    const rec = await waitForAudit(gw, (a) => a.code === 'ORIGIN_REJECTED');
    assert.match(String(rec.reason), /evil\.example\.com/);
  });

  test('a rebinding Host (attacker name resolving to 127.0.0.1) is refused', async () => {
    const r = await raw(gw.url, 'POST', { host: `evil.example.com:${new URL(gw.url).port}` }, INIT);
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.body).error.data.reason, 'ORIGIN_REJECTED');
  });

  test('no Origin (a non-browser client) and the loopback origin are accepted', async () => {
    assert.equal((await raw(gw.url, 'POST', { host }, INIT)).status, 200);
    const port = new URL(gw.url).port;
    assert.equal((await raw(gw.url, 'POST', { host: `localhost:${port}`, origin: `http://localhost:${port}` }, INIT)).status, 200);
  });

  test('without mcp.listen.cors a preflight gets no CORS headers', async () => {
    const r = await raw(gw.url, 'OPTIONS', { host, origin: `http://127.0.0.1:${new URL(gw.url).port}`, 'access-control-request-method': 'POST' });
    assert.notEqual(r.status, 204);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });

  test('the conformance suite: dns-rebinding-protection passes', () => {
    const url = gw.url.replace('127.0.0.1', 'localhost');
    const r = spawnSync(NODE, [CONFORMANCE, 'server', '--url', url, '--scenario', 'dns-rebinding-protection'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Passed: 2\/2, 0 failed/);
  });
});

describe('CORS when configured', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(yaml(', cors: { allowedOrigins: ["https://app.example.com"] }'));
  });
  after(async () => { await gw?.stop(); });

  test('a preflight from an allowed origin gets the CORS answer; an actual request exposes Mcp-Session-Id', async () => {
    const host = new URL(gw.url).host;
    const pre = await raw(gw.url, 'OPTIONS', { host, origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
    assert.match(String(pre.headers['access-control-allow-headers']), /mcp-session-id/);
    const post = await raw(gw.url, 'POST', { host, origin: 'https://app.example.com' }, INIT);
    assert.equal(post.status, 200);
    assert.equal(post.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(post.headers['access-control-expose-headers']), /mcp-session-id/);
    // Another origin: refused outright, no CORS headers.
    const evil = await raw(gw.url, 'OPTIONS', { host, origin: 'https://evil.example.com', 'access-control-request-method': 'POST' });
    assert.equal(evil.status, 403);
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
  });
});
