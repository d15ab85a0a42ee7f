/**
 * Hostile and broken upstream servers behind `portcullis run`: a server that dies mid-call, one
 * that never answers, one that floods its stdout with non-JSON and a huge unterminated line, and
 * one whose results break its own outputSchema. The servers are tiny plain-JS scripts speaking
 * newline-delimited JSON-RPC, written by this test. The client is raw 2026-07-28 `fetch`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startGateway, tempDir, type RunningGateway } from '../helpers/gateway-process.ts';

const SERVER_JS = String.raw`
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const [role, dir] = process.argv.slice(2);
fs.appendFileSync(path.join(dir, role + '.spawns'), process.pid + '\n');
if (role === 'dead') process.exit(1);

const object = { type: 'object' };
const TOOLS = {
  hostile: [
    { name: 'crash', description: 'exits mid-call', inputSchema: object },
    { name: 'hang', description: 'never answers', inputSchema: object },
    { name: 'garbage', description: 'floods stdout', inputSchema: object },
    { name: 'ok', description: 'answers', inputSchema: object },
    { name: 'spoof', description: 'sprays progress for tokens it was never given', inputSchema: object },
    { name: 'sample', description: 'asks the client for sampling', inputSchema: object },
    { name: 'bignote', description: 'logs 5 MB, then answers', inputSchema: object },
  ],
  liar: [
    { name: 'counted', inputSchema: object, outputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] } },
    { name: 'counted-honest', inputSchema: object, outputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] } },
    { name: 'counted-unstructured', inputSchema: object, outputSchema: { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'] } },
    { name: 'malformed', inputSchema: object },
    { name: 'fine', inputSchema: object },
    { name: 'slow', inputSchema: object },
  ],
}[role];

const send = (m) => process.stdout.write(JSON.stringify(m) + '\n');
const result = (id, r) => send({ jsonrpc: '2.0', id, result: r });
const text = (t) => ({ content: [{ type: 'text', text: t }] });

function garbage() {
  process.stdout.write('this is not JSON at all\n');
  // 2 MB at a time, never a newline, for a while (16 MB in all), then the line finally ends.
  const chunk = 'x'.repeat(2 * 1024 * 1024);
  let n = 0;
  const t = setInterval(() => {
    process.stdout.write(chunk);
    if (++n < 8) return;
    clearInterval(t);
    process.stdout.write('\n');
    fs.writeFileSync(path.join(dir, 'garbage.done'), String(n));
  }, 250);
}

const waiting = new Map();
function whenFile(name, then) {
  const t = setInterval(() => {
    if (!fs.existsSync(path.join(dir, name))) return;
    clearInterval(t);
    then();
  }, 20);
}

function call(id, name) {
  switch (name) {
    case 'crash': process.exit(3);
    case 'hang': return fs.writeFileSync(path.join(dir, 'hang.started'), JSON.stringify(id));
    case 'garbage': return garbage();
    case 'ok': return result(id, text('ok from ' + process.pid));
    case 'bignote':
      // A notification over the gateway's 4 MB cap (it must be dropped), then a small answer.
      send({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'n'.repeat(5 * 1024 * 1024) } });
      return result(id, text('bignote done'));
    case 'counted': return result(id, { ...text('{"count":"many"}'), structuredContent: { count: 'many' } });
    case 'counted-honest': return result(id, { ...text('{"count":3}'), structuredContent: { count: 3 } });
    case 'counted-unstructured': return result(id, text('three'));
    case 'malformed': return result(id, { content: 'not an array' });
    case 'fine': return result(id, text('fine'));
    case 'slow':
      // In flight until the hostile server has sprayed its progress (it says so in a file).
      fs.writeFileSync(path.join(dir, 'slow.started'), '');
      return whenFile('spoof.done', () => result(id, text('slow done')));
    case 'spoof':
      // Gateway progress tokens are guessable; a server must only reach the calls it was given.
      for (let i = 0; i < 2000; i++) {
        for (const progressToken of ['pc-' + i, i, String(i)]) {
          send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, progress: 1, total: 1, message: 'INJECTED by hostile' } });
        }
      }
      fs.writeFileSync(path.join(dir, 'spoof.done'), '');
      return result(id, text('sprayed'));
    case 'sample':
      waiting.set('s-' + id, id);
      return send({ jsonrpc: '2.0', id: 's-' + id, method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 } });
    default: send({ jsonrpc: '2.0', id, error: { code: -32602, message: 'Unknown tool ' + name } });
  }
}

function handle(msg) {
  if (msg.method === undefined && waiting.has(msg.id)) {
    // The answer to our sampling request: report what came back.
    const id = waiting.get(msg.id);
    waiting.delete(msg.id);
    return result(id, text(msg.error ? 'sampling refused: ' + msg.error.code : 'sampling answered'));
  }
  if (msg.method === 'notifications/cancelled') {
    return fs.appendFileSync(path.join(dir, 'cancels.log'), JSON.stringify(msg.params.requestId) + '\n');
  }
  if (msg.id === undefined || msg.method === undefined) return;
  switch (msg.method) {
    case 'initialize':
      return result(msg.id, { protocolVersion: msg.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: role, version: '1.0.0' } });
    case 'tools/list':
      return result(msg.id, { tools: TOOLS });
    case 'tools/call':
      return call(msg.id, msg.params.name);
    case 'ping':
      return result(msg.id, {});
    default:
      send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
  }
}

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (line) handle(JSON.parse(line));
  }
});
process.stdin.on('end', () => process.exit(0));
`;

const REQUEST_SECONDS = 2;

type Json = Record<string, any>;

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'e2e-failures', version: '1.0.0' },
};
let nextId = 1;

/** One stateless 2026-07-28 tools/call; the parsed JSON-RPC answer (JSON or the last SSE event). */
async function callTool(url: string, name: string, args: Json = {}, meta: Json = {}): Promise<Json & { events: Json[] }> {
  const body = { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name, arguments: args, _meta: { ...ENVELOPE, ...meta } } };
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const sse = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  const events = sse ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)) as Json) : [JSON.parse(text) as Json];
  const msg = events.at(-1)!;
  assert.equal(msg.id, body.id);
  return Object.assign(msg, { events: events.slice(0, -1) });
}

/** The audit sink flushes in the background: wait (bounded) for a matching record. */
async function audited(gw: RunningGateway, match: (e: Record<string, unknown>) => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (gw.audit().some(match)) return true;
    await sleep(50);
  }
  return false;
}

/** Wait (bounded) for the servers to report something through a file. */
async function fileSays(file: string, match: (text: string) => boolean = () => true): Promise<string> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (match(text)) return text;
    }
    await sleep(25);
  }
  assert.fail(`${file}: never said what was expected`);
}

function spawns(dir: string, role: string): number {
  const f = join(dir, `${role}.spawns`);
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
}

describe('broken and hostile upstream servers (portcullis run)', () => {
  let gw: RunningGateway;
  let dir: string;

  before(async () => {
    dir = tempDir('portcullis-upstreams-');
    const script = join(dir, 'server.cjs');
    writeFileSync(script, SERVER_JS);
    gw = await startGateway(`mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  timeouts: { requestSeconds: ${REQUEST_SECONDS} }
  servers:
    - name: hostile
      command: "\${NODE}"
      args: [${JSON.stringify(script)}, "hostile", ${JSON.stringify(dir)}]
    - name: liar
      command: "\${NODE}"
      args: [${JSON.stringify(script)}, "liar", ${JSON.stringify(dir)}]
    - name: dead
      command: "\${NODE}"
      args: [${JSON.stringify(script)}, "dead", ${JSON.stringify(dir)}]
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    validation: { schemaValidation: strict }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}", rotation: none }]
`);
  });

  after(async () => {
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('both servers are up and answer', async () => {
    assert.match((await callTool(gw.url, 'hostile__ok')).result?.content?.[0]?.text, /^ok from /);
    assert.equal((await callTool(gw.url, 'liar__fine')).result?.content?.[0]?.text, 'fine');
  });

  test('a server that never answers: -32001 REQUEST_TIMEOUT', async () => {
    const before = spawns(dir, 'hostile');
    const r = await callTool(gw.url, 'hostile__hang');
    assert.equal(r.error?.code, -32001, JSON.stringify(r));
    assert.equal(r.error?.data?.reason, 'REQUEST_TIMEOUT');
    // The server is still the same process and still answers.
    assert.match((await callTool(gw.url, 'hostile__ok')).result?.content?.[0]?.text, /^ok from /);
    assert.equal(spawns(dir, 'hostile'), before);
  });

  test('closing the request stream (2026-07-28 cancellation) sends notifications/cancelled upstream', async () => {
    rmSync(join(dir, 'hang.started'), { force: true });
    const ac = new AbortController();
    const pending = fetch(gw.url, {
      method: 'POST',
      signal: ac.signal,
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'hostile__hang' },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: { name: 'hostile__hang', arguments: {}, _meta: ENVELOPE } }),
    }).catch((e: Error) => e);
    const upstreamId = JSON.parse(await fileSays(join(dir, 'hang.started'))) as number;
    ac.abort();
    assert.ok((await pending) instanceof Error);
    const log = await fileSays(join(dir, 'cancels.log'), (t) => t.split('\n').includes(JSON.stringify(upstreamId)));
    assert.ok(log.split('\n').includes(JSON.stringify(upstreamId)));
    assert.match((await callTool(gw.url, 'hostile__ok')).result?.content?.[0]?.text, /^ok from /);
  });

  test('a server that cannot start: -32012 for its tools, lists and other servers unaffected', async () => {
    const r = await callTool(gw.url, 'dead__anything');
    // UPSTREAM_UNAVAILABLE; "unknown tool" would be defensible too (its tools cannot be known).
    assert.ok([-32012, -32602].includes(r.error?.code), JSON.stringify(r));
    const body = { jsonrpc: '2.0', id: nextId++, method: 'tools/list', params: { _meta: ENVELOPE } };
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
      body: JSON.stringify(body),
    });
    const list = (await res.json()) as Json;
    const names = (list.result?.tools as Json[]).map((t) => t.name);
    assert.ok(names.includes('liar__fine') && names.includes('hostile__ok'), names.join(','));
    assert.ok(!names.some((n) => n.startsWith('dead__')));
    assert.equal((await callTool(gw.url, 'liar__fine')).result?.content?.[0]?.text, 'fine');
  });

  test('a server that exits mid-call: -32012 UPSTREAM_UNAVAILABLE (not a timeout); the next call restarts it', async () => {
    const before = spawns(dir, 'hostile');
    const r = await callTool(gw.url, 'hostile__crash');
    assert.equal(r.error?.code, -32012, JSON.stringify(r));
    assert.equal(r.error?.data?.reason, 'UPSTREAM_UNAVAILABLE');
    // Gateway still up: the other server answers.
    assert.equal((await callTool(gw.url, 'liar__fine')).result?.content?.[0]?.text, 'fine');
    // The crashed server is started again on demand and works.
    const again = await callTool(gw.url, 'hostile__ok');
    assert.match(again.result?.content?.[0]?.text, /^ok from /, JSON.stringify(again));
    assert.equal(spawns(dir, 'hostile'), before + 1, 'the server was restarted once');
    assert.ok(await audited(gw, (e) => e.event === 'upstream_error' && e.tool === 'crash' && e.code === 'UPSTREAM_UNAVAILABLE'), 'the crash is audited');
  });

  test('a server that floods stdout with garbage: the call fails, the gateway stays up and recovers', async () => {
    const before = spawns(dir, 'hostile');
    const inflight = callTool(gw.url, 'hostile__garbage');
    // While the flood is on, the gateway answers for the other server.
    assert.equal((await callTool(gw.url, 'liar__fine')).result?.content?.[0]?.text, 'fine');
    const r = await inflight;
    assert.ok(r.error, `the garbage call must fail: ${JSON.stringify(r).slice(0, 200)}`);
    // Timeout at worst; a protocol error or "result too large" (the oversized line) are fine too.
    assert.ok([-32001, -32012, -32013, -32014].includes(r.error.code), `unexpected error ${JSON.stringify(r.error)}`);
    // Wait for the server to end its endless line (it says so in a file) and for the gateway to
    // have read it (it audits the dropped line); then it works again, without a restart: the
    // gateway dropped the garbage and kept the connection.
    while (!existsSync(join(dir, 'garbage.done'))) await sleep(50);
    assert.ok(await audited(gw, (e) => e.event === 'upstream_error' && e.server === 'hostile' && /16777216-byte/.test(String(e.reason))), 'the dropped line is audited');
    const ok = await callTool(gw.url, 'hostile__ok');
    assert.match(ok.result?.content?.[0]?.text, /^ok from /, JSON.stringify(ok));
    assert.equal(spawns(dir, 'hostile'), before, 'no restart was needed');
    assert.ok(gw.proc.exitCode === null, 'gateway process alive');
    assert.ok(await audited(gw, (e) => e.event === 'upstream_error' && e.server === 'hostile' && e.code === 'UPSTREAM_PROTOCOL_ERROR'), 'the garbage is audited');
  });

  test('an oversized notification during a call is dropped; the call still gets its own answer', async () => {
    const r = await callTool(gw.url, 'hostile__bignote');
    assert.equal(r.result?.content?.[0]?.text, 'bignote done', JSON.stringify(r).slice(0, 300));
  });

  test("a server cannot inject progress into another server's call (guessing gateway tokens)", async () => {
    const slow = callTool(gw.url, 'liar__slow', {}, { progressToken: 'mine' });
    while (!existsSync(join(dir, 'slow.started'))) await sleep(20);
    assert.equal((await callTool(gw.url, 'hostile__spoof')).result?.content?.[0]?.text, 'sprayed');
    const r = await slow;
    assert.equal(r.result?.content?.[0]?.text, 'slow done', JSON.stringify(r).slice(0, 300));
    const injected = r.events.filter((e) => e.method === 'notifications/progress');
    assert.deepEqual(injected.slice(0, 2), [], 'progress from a server the call never went to');
  });

  test('a server request (sampling) during a 2026-07-28 call is refused to the server at once, not left hanging', async () => {
    // The envelope declares no sampling capability: the server must hear "no" (or the client an
    // error) right away, never a silence that ends in the request timeout.
    const r = await callTool(gw.url, 'hostile__sample');
    assert.notEqual(r.error?.code, -32001, `left to time out: ${JSON.stringify(r)}`);
    if (!r.error) assert.match(r.result?.content?.[0]?.text ?? '', /^sampling refused: /, JSON.stringify(r));
  });

  test('structuredContent that violates the outputSchema: -32015 RESULT_INVALID (strict)', async () => {
    const r = await callTool(gw.url, 'liar__counted');
    assert.equal(r.error?.code, -32015, JSON.stringify(r));
    assert.equal(r.error?.data?.reason, 'RESULT_INVALID');
    assert.ok(!JSON.stringify(r).includes('many'), 'nothing of the invalid result reaches the client');
    // A conforming result of the same schema passes: the check is not refusing everything.
    const good = await callTool(gw.url, 'liar__counted-honest');
    assert.deepEqual(good.result?.structuredContent, { count: 3 });
  });

  test('no structuredContent although the tool declares an outputSchema: -32015', async () => {
    const r = await callTool(gw.url, 'liar__counted-unstructured');
    assert.equal(r.error?.code, -32015, JSON.stringify(r));
  });

  test('a result that is not a CallToolResult: -32015', async () => {
    const r = await callTool(gw.url, 'liar__malformed');
    assert.equal(r.error?.code, -32015, JSON.stringify(r));
  });
});
