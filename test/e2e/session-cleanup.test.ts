/**
 * A stateful session leaves nothing behind once it ends, by DELETE or by the idle timeout: the
 * gateway's session set, the session store and every per-session object are freed. Real HTTP
 * listener, real server-everything upstream over stdio, real calls through the full chain (rate
 * limiting, audit). Freed is checked by counts, and by WeakRefs that a full GC clears only when
 * nothing holds the Session any more (no registry entry, stream state, timer or closure).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { loadConfigText } from '../../src/config/load.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import type { Session } from '../../src/gateway/session.ts';
import { MemorySessionStore } from '../../src/state/session-store.ts';
import { serveHttp, type HttpServerHandle } from '../../src/transports/http-server.ts';
import { EVERYTHING, NODE } from '../helpers/gateway-process.ts';

// A full GC on demand, for the WeakRef checks only (the test process, not a gateway's).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const IDLE_SECONDS = 1;
const YAML = `
mcp:
  listen: {host: 127.0.0.1, port: 0, path: /mcp}
  timeouts: {sessionIdleSeconds: ${IDLE_SECONDS}}
  servers:
    - name: everything
      command: ${JSON.stringify(NODE)}
      args: [${JSON.stringify(EVERYTHING)}, "stdio"]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}
    rateLimiting: {enabled: true, requestsPerMinute: 6000, burstSize: 100}
`;
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };
const SESSIONS = 12;

let gw: Gateway;
let http: HttpServerHandle;
let store: MemorySessionStore;
const records: Record<string, unknown>[] = [];

async function post(body: object, sid?: string): Promise<{ status: number; sid: string | null; text: string }> {
  const res = await fetch(http.url, { method: 'POST', headers: { ...HEADERS, ...(sid && { 'mcp-session-id': sid }) }, body: JSON.stringify(body) });
  return { status: res.status, sid: res.headers.get('mcp-session-id'), text: await res.text() };
}

/** A session through its whole life: initialize, initialized, one tool call. */
async function openSession(i: number): Promise<string> {
  const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: `c${i}`, version: '1' } } });
  assert.equal(init.status, 200, init.text);
  const sid = init.sid!;
  assert.ok((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status < 300);
  const call = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: `hi ${i}` } } }, sid);
  assert.equal(call.status, 200, call.text);
  assert.match(call.text, new RegExp(`Echo: hi ${i}`));
  return sid;
}

/** How many of these sessions a full GC could not collect. */
async function alive(refs: WeakRef<Session>[]): Promise<number> {
  // WeakRefs read in this job stay alive until it ends: collect in a later one.
  await tick();
  gc();
  await tick();
  return refs.filter((r) => r.deref() !== undefined).length;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  // Polls a condition (no timing is asserted): the idle sweep runs every second here.
  for (let i = 0; i < 200 && !ok(); i++) await sleep(100);
  assert.ok(ok(), what);
}

before(async () => {
  const audit = new AuditLog({ sinks: [], events: AUDIT_EVENTS, level: 'detailed', observers: [(r) => records.push({ ...r })] });
  gw = new Gateway(loadConfigText(YAML), { mode: 'run', audit, log: () => {} });
  store = new MemorySessionStore();
  http = await serveHttp(gw, { store });
});

after(async () => {
  await http?.close();
  await gw?.shutdown('test done');
});

test('sessions ended by DELETE and by the idle timeout are freed: session set, store, and every object of theirs', async () => {
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS; i++) ids.push(await openSession(i));
  assert.equal(gw.sessions.size, SESSIONS);
  assert.equal(store.size, SESSIONS);
  const refs = new Map([...gw.sessions].map((s) => [s.id, new WeakRef(s)]));
  const deleted = ids.filter((_, i) => i % 2 === 0);
  const abandoned = ids.filter((_, i) => i % 2 === 1);

  for (const sid of deleted) {
    const res = await fetch(http.url, { method: 'DELETE', headers: { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(res.status, 200);
  }
  assert.equal(gw.sessions.size, abandoned.length, 'DELETEd sessions leave the session set');
  assert.equal(store.size, abandoned.length, 'and the session store');
  assert.ok([...gw.sessions].every((s) => abandoned.includes(s.id)));
  assert.equal(await alive(deleted.map((id) => refs.get(id)!)), 0, 'nothing holds a DELETEd session');
  assert.equal(await alive(abandoned.map((id) => refs.get(id)!)), abandoned.length, 'the others are still served');

  await until('the idle timeout ends the abandoned sessions', () => gw.sessions.size === 0);
  assert.equal(store.size, 0);
  assert.equal(await alive([...refs.values()]), 0, 'nothing holds an idled-out session');
  for (const sid of abandoned) assert.ok(records.some((r) => r.event === 'connection_closed' && r.session === sid && r.reason === 'idle timeout'), `idle close of ${sid} audited`);
  const ended = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, abandoned[0]);
  assert.equal(ended.status, 404, 'an ended session is not served again');
});
