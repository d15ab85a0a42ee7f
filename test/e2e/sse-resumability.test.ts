/**
 * SSE resumability through `portcullis run`, both directions (2025-11-25 transports; SEP-1699).
 *
 * Toward the client: a 2025-11-25 answer is a stream with a priming event and event ids; a client
 * that drops mid-call reconnects with GET + `Last-Event-ID` and gets exactly what it missed, then
 * the answer. An event id from another session or another principal resumes nothing (no replay
 * across tenants). Toward the server: an upstream that closes a call's stream (polling) is
 * resumed after its `retry`; one that leaves nothing to resume from fails the call at once.
 *
 * Upstreams: test/fixtures/servers/polling-server.ts (v1 SDK, Streamable HTTP) three times: with
 * an event store, without one (no ids), and refusing GET. Callers: two API keys (tenants).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createParser } from 'eventsource-parser';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { BIN, NODE, ROOT, startGateway, type RunningGateway } from '../helpers/gateway-process.ts';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'servers', 'polling-server.ts');
const LEGACY = '2025-11-25';
const EVENT_ID = /^[A-Za-z0-9_-]{16}\.\d+$/;

type Json = Record<string, any>;
interface SseEvent {
  id?: string;
  retry?: number;
  data: string;
}

function apiKey(subject: string, id: string): { key: string; entry: string } {
  const r = spawnSync(NODE, [BIN, 'keys', 'api-key', '--subject', subject, '--roles', 'user', '--id', id], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { key: /^\s+(pcl_\S+)$/m.exec(r.stdout)![1], entry: r.stdout.slice(r.stdout.indexOf('      - id:')).replace(/\n$/, '') };
}

async function startFixture(args: string[], procs: ChildProcess[]): Promise<string> {
  const p = spawn(NODE, [FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (c) => {
      out += c;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    p.once('exit', (code) => reject(new Error(`fixture exited ${code}`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

/** Events of an SSE body, one at a time. */
function events(res: Response): { next(): Promise<SseEvent | undefined>; close(): Promise<void> } {
  const queue: SseEvent[] = [];
  let retry: number | undefined;
  const parser = createParser({
    onEvent: (e) => {
      queue.push({ id: e.id, data: e.data, ...(retry !== undefined && { retry }) });
      retry = undefined;
    },
    onRetry: (ms) => (retry = ms),
  });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  return {
    async next() {
      while (!queue.length) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        parser.feed(dec.decode(value, { stream: true }));
      }
      return queue.shift();
    },
    close: () => reader.cancel().catch(() => {}),
  };
}

describe('SSE resumability through portcullis run', { timeout: 180_000 }, () => {
  const procs: ChildProcess[] = [];
  let gw: RunningGateway;
  const alice = apiKey('alice', 'alice-key');
  const mallory = apiKey('mallory', 'mallory-key');

  const headers = (key: string, sid?: string): Record<string, string> => ({
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${key}`,
    ...(sid && { 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY }),
  });
  const post = (key: string, sid: string | undefined, body: Json) => fetch(gw.url, { method: 'POST', headers: headers(key, sid), body: JSON.stringify(body) });
  const resume = (key: string, sid: string, lastEventId: string) =>
    fetch(gw.url, { method: 'GET', headers: { accept: 'text/event-stream', authorization: `Bearer ${key}`, 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY, 'last-event-id': lastEventId } });

  async function session(key: string, version = LEGACY): Promise<string> {
    const r = await post(key, undefined, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'resume-e2e', version: '1' } } });
    await r.text();
    assert.equal(r.status, 200);
    const sid = r.headers.get('mcp-session-id')!;
    await (await post(key, sid, { jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    return sid;
  }

  /** Every event of an answer stream, to its end. */
  async function all(res: Response): Promise<SseEvent[]> {
    const ev = events(res);
    const out: SseEvent[] = [];
    for (let e = await ev.next(); e; e = await ev.next()) out.push(e);
    return out;
  }
  const messages = (evs: SseEvent[]) => evs.filter((e) => e.data).map((e) => JSON.parse(e.data) as Json);

  /** Start `slow` (3 progress steps), read to the first progress, drop the connection; the last id seen. */
  async function dropAfterFirstProgress(key: string, sid: string, id: number, token: string): Promise<{ lastId: string; seen: Json[] }> {
    const res = await post(key, sid, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'polling__slow', arguments: { steps: 3 }, _meta: { progressToken: token } } });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const ev = events(res);
    const seen: Json[] = [];
    let lastId = '';
    for (;;) {
      const e = (await ev.next())!;
      assert.ok(e, 'stream ended before any progress');
      assert.match(e.id ?? '', EVENT_ID, 'every event carries an id');
      lastId = e.id!;
      if (!e.data) continue;
      seen.push(JSON.parse(e.data));
      if (seen.at(-1)!.method === 'notifications/progress') break;
    }
    await ev.close();
    return { lastId, seen };
  }

  before(async () => {
    const [polling, nostore, noget] = await Promise.all([startFixture([], procs), startFixture(['--no-store'], procs), startFixture(['--no-get'], procs)]);
    gw = await startGateway(`
mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  timeouts: { requestSeconds: 30 }
  servers:
    - { name: polling, url: "${polling}" }
    - { name: nostore, url: "${nostore}" }
    - { name: noget, url: "${noget}" }
  identity:
    apiKeys:
${alice.entry}
${mallory.entry}
  security:
    requireAuth: true
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`);
  });

  after(async () => {
    await gw?.stop();
    for (const p of procs) p.kill('SIGTERM');
  });

  test('a 2025-11-25 answer is a stream: a priming event (id, retry, empty data) first, an id on every event', async () => {
    const sid = await session(alice.key);
    const evs = await all(await post(alice.key, sid, { jsonrpc: '2.0', id: 1, method: 'tools/list' }));
    assert.equal(evs[0].data, '');
    assert.match(evs[0].id ?? '', EVENT_ID);
    assert.equal(evs[0].retry, 1000, 'mcp.listen.resumability.retryMs');
    const stream = evs[0].id!.split('.')[0];
    assert.ok(evs.every((e, i) => e.id === `${stream}.${i}`), JSON.stringify(evs.map((e) => e.id)));
    assert.ok(messages(evs).at(-1)?.result?.tools?.some((t: Json) => t.name === 'polling__slow'));
  });

  test('a client that drops mid-call resumes with Last-Event-ID: it gets what it missed, once, then the answer', async () => {
    const sid = await session(alice.key);
    const { lastId, seen } = await dropAfterFirstProgress(alice.key, sid, 2, 'tok-A');
    assert.deepEqual(seen.map((m) => m.params?.progress), [1]);
    const res = await resume(alice.key, sid, lastId);
    assert.equal(res.status, 200);
    const evs = await all(res);
    assert.ok(evs.every((e) => e.id?.startsWith(lastId.split('.')[0] + '.')), 'the same stream continues');
    const rest = messages(evs);
    assert.deepEqual(rest.filter((m) => m.method === 'notifications/progress').map((m) => [m.params.progressToken, m.params.progress]), [['tok-A', 2], ['tok-A', 3]]);
    const answer = rest.at(-1)!;
    assert.equal(answer.id, 2);
    // Item 5: the server was given the client's own token (it was unique), and echoes it.
    assert.equal(answer.result?.content?.[0]?.text, 'slow done after 3 steps (progress token "tok-A")');
  });

  test("an event id from another session, or another tenant's, resumes nothing; its owner still can", async () => {
    const victim = await session(alice.key);
    const { lastId } = await dropAfterFirstProgress(alice.key, victim, 3, 'tok-V');
    // The same principal's other session, and another principal's session: nothing is replayed.
    for (const [key, sid] of [[alice.key, await session(alice.key)], [mallory.key, await session(mallory.key)]]) {
      const r = await resume(key, sid, lastId);
      const body = await r.text();
      assert.equal(r.status, 400, body);
      assert.equal(JSON.parse(body).error?.data?.reason, 'INVALID_REQUEST');
      assert.ok(!body.includes('tok-V') && !body.includes('slow done'), body);
    }
    // Another principal cannot use the victim's session either (404, as an unknown session).
    const stolen = await resume(mallory.key, victim, lastId);
    assert.equal(stolen.status, 404, await stolen.text());
    await waitForAudit(gw, (a) => a.event === 'policy_violation' && a.principal === 'mallory' && /Last-Event-ID/.test(String(a.reason)));
    // The id was valid all along: in its own session it resumes, to the answer.
    const own = messages(await all(await resume(alice.key, victim, lastId)));
    assert.equal(own.at(-1)?.id, 3);
    assert.match(own.at(-1)?.result?.content?.[0]?.text ?? '', /^slow done/);
  });

  test('an id not issued by the gateway, or one already replayed to the end, resumes nothing', async () => {
    const sid = await session(alice.key);
    for (const bogus of ['AAAAAAAAAAAAAAAA.0', 'not-an-id', '../../etc/passwd.1']) {
      const r = await resume(alice.key, sid, bogus);
      assert.equal(r.status, 400, await r.text());
    }
    const { lastId } = await dropAfterFirstProgress(alice.key, sid, 4, 'tok-D');
    assert.equal(messages(await all(await resume(alice.key, sid, lastId))).at(-1)?.id, 4);
    const again = await resume(alice.key, sid, lastId);
    assert.equal(again.status, 400, 'a delivered answer is not kept for replay');
    await again.text();
  });

  test('a 2025-06-18 session gets no priming event and no ids (JSON answers, as before SEP-1699)', async () => {
    const sid = await session(alice.key, '2025-06-18');
    const r = await fetch(gw.url, { method: 'POST', headers: { ...headers(alice.key, sid), 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }) });
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(((await r.json()) as Json).result?.tools);
  });

  test('an upstream that closes the call stream (polling) is resumed after its retry: the call is answered', async () => {
    const sid = await session(alice.key);
    const answer = messages(await all(await post(alice.key, sid, { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'polling__poll', arguments: {} } }))).at(-1);
    assert.equal(answer?.result?.content?.[0]?.text, 'answered after the stream closed', JSON.stringify(answer));
  });

  test('a client that never comes back: after ttlSeconds its call is cancelled upstream', async () => {
    const slowServer = await startFixture(['--slow-ms', '20000'], procs);
    const short = await startGateway(`
mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp, resumability: { ttlSeconds: 1 } }
  servers:
    - { name: polling, url: "${slowServer}" }
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`);
    try {
      const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const init = await fetch(short.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'ttl', version: '1' } } }) });
      await init.text();
      const sid = init.headers.get('mcp-session-id')!;
      const sh = { ...h, 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY };
      await (await fetch(short.url, { method: 'POST', headers: sh, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
      const res = await fetch(short.url, { method: 'POST', headers: sh, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { steps: 1 } } }) });
      const ev = events(res);
      assert.match((await ev.next())?.id ?? '', EVENT_ID, 'the priming event gave the client an id');
      await ev.close();
      // Not at the call's end (20 s): the stream's ttl (1 s) passed without a resume.
      const rec = await waitForAudit(short, (a) => a.event === 'tool_invoked' && a.tool === 'slow', 15_000);
      assert.equal(rec.code, 'CANCELLED', JSON.stringify(rec));
    } finally {
      await short.stop();
    }
  });

  test('an upstream stream that ends with nothing to resume from fails the call at once (-32012), not at its timeout', async () => {
    const sid = await session(alice.key);
    for (const name of ['nostore__poll', 'noget__poll']) {
      const answer = messages(await all(await post(alice.key, sid, { jsonrpc: '2.0', id: name, method: 'tools/call', params: { name, arguments: {} } }))).at(-1);
      assert.equal(answer?.error?.code, -32012, `${name}: ${JSON.stringify(answer)}`);
      assert.equal(answer?.error?.data?.reason, 'UPSTREAM_UNAVAILABLE');
    }
  });
});
