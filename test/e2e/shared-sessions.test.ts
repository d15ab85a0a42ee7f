/**
 * Two gateways in one process, each with its own HTTP listener and its own Redis connection,
 * sharing sessions through the machine's Redis (a key prefix of this run's own): the session
 * registry and the session bus seen from the wire, without a balancer in between, so each request
 * goes exactly where the test sends it. Real server-everything upstreams, real sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { loadConfigText } from '../../src/config/load.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { broadcast } from '../../src/gateway/server-traffic.ts';
import { RedisConnection } from '../../src/state/redis-connection.ts';
import { RedisSessionStore } from '../../src/state/redis-session-store.ts';
import { RedisSessionBus } from '../../src/state/session-bus.ts';
import { serveHttp, type HttpServerHandle } from '../../src/transports/http-server.ts';
import { issueApiKey } from '../helpers/api-keys.ts';
import { EVERYTHING, NODE } from '../helpers/gateway-process.ts';
import { dropPrefix, REDIS_TEST_URL, testPrefix } from '../helpers/redis.ts';

const alice = issueApiKey('alice-key', 'alice');
const bob = issueApiKey('bob-key', 'bob');
const YAML = `
mcp:
  listen: {host: 127.0.0.1, port: 0, path: /mcp}
  identity:
    apiKeys:
${alice.yaml}
${bob.yaml}
  servers:
    - name: everything
      command: ${JSON.stringify(NODE)}
      args: [${JSON.stringify(EVERYTHING)}, "stdio"]
  security:
    requireAuth: true
    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}
    rateLimiting: {enabled: false}
`;

interface Replica {
  gw: Gateway;
  http: HttpServerHandle;
  conn: RedisConnection;
  bus: RedisSessionBus;
  records: Record<string, unknown>[];
}

const prefix = testPrefix();
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

async function replica(name: string): Promise<Replica> {
  const records: Record<string, unknown>[] = [];
  const audit = new AuditLog({ sinks: [], events: AUDIT_EVENTS, level: 'detailed', observers: [(r) => records.push({ ...r })] });
  const gw = new Gateway(loadConfigText(YAML), { mode: 'run', audit, log: () => {} });
  const conn = new RedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, commandTimeoutMs: 2000, log: quiet });
  await conn.waitReady(5000);
  const bus = new RedisSessionBus(conn, { replica: name, maxBytes: 1_000_000, log: () => {} });
  const http = await serveHttp(gw, { store: new RedisSessionStore(conn), bus });
  return { gw, http, conn, bus, records };
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

async function post(r: Replica, key: string, body: object, sid?: string): Promise<{ status: number; sid: string | null; text: string }> {
  const res = await fetch(r.http.url, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${key}`, ...(sid && { 'mcp-session-id': sid }) }, body: JSON.stringify(body) });
  return { status: res.status, sid: res.headers.get('mcp-session-id'), text: await res.text() };
}

describe('sessions shared by two gateways through Redis', () => {
  let a: Replica;
  let b: Replica;
  let sid: string;

  before(async () => {
    [a, b] = await Promise.all([replica('a'), replica('b')]);
    const init = await post(a, alice.key, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'two', version: '1' } } });
    assert.equal(init.status, 200, init.text);
    sid = init.sid!;
  });

  after(async () => {
    for (const r of [a, b]) {
      if (!r) continue;
      await r.http.close();
      await r.gw.shutdown('test done');
      await r.bus.close();
      await r.conn.close();
    }
    await dropPrefix(REDIS_TEST_URL, prefix);
  });

  test('a session created on A is served by B at once, with what it negotiated', async () => {
    const r = await post(b, alice.key, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'on b' } } }, sid);
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /Echo: on b/);
    const s = [...b.gw.sessions].find((x) => x.id === sid)!;
    assert.equal(s.protocolVersion, '2025-11-25');
    assert.deepEqual(s.clientCapabilities, { sampling: {} });
  });

  test("another principal presenting the id is answered as if it did not exist, and audited, on a replica that never saw it", async () => {
    const c = await replica('c');
    try {
      const r = await post(c, bob.key, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, sid);
      assert.equal(r.status, 404);
      assert.ok(c.records.some((x) => x.event === 'session_principal_mismatch' && x.session === sid));
      assert.equal(c.gw.sessions.size, 0, 'nothing restored');
    } finally {
      await c.http.close();
      await c.gw.shutdown('test done');
      await c.bus.close();
      await c.conn.close();
    }
  });

  test('a list change on B reaches the GET stream the client holds on A', async () => {
    const ctl = new AbortController();
    const res = await fetch(a.http.url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${alice.key}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, signal: ctl.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await sleep(200);
    broadcast(b.gw, { jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    let seen = '';
    const deadline = Date.now() + 10_000;
    while (!seen.includes('list_changed') && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), sleep(500).then(() => undefined)]);
      if (chunk?.value) seen += Buffer.from(chunk.value).toString();
    }
    ctl.abort();
    assert.match(seen, /notifications\/tools\/list_changed/);
  });

  test('DELETE on B ends the session on A (its local copy), and in Redis', async () => {
    const del = await fetch(b.http.url, { method: 'DELETE', headers: { authorization: `Bearer ${alice.key}`, 'mcp-session-id': sid } });
    assert.equal(del.status, 200);
    await sleep(300);
    assert.ok(![...a.gw.sessions].some((s) => s.id === sid), 'A dropped its copy');
    assert.equal((await post(a, alice.key, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, sid)).status, 404);
    assert.equal((await post(b, alice.key, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, sid)).status, 404);
  });
});
