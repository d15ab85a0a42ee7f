/**
 * The rejection corpus: every malformed or hostile message we know of, run through the whole
 * chain — a real `portcullis wrap` process in front of a real server-everything — by one table.
 * Each fixture names the error it must produce (JSON-RPC code and `data.reason`). Benign
 * look-alikes in `accept/` must pass. A bypass found later becomes a fixture before it is fixed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EVERYTHING, readAudit, ROOT, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';

interface Fixture {
  description: string;
  message?: unknown;
  raw?: string;
  rawBase64?: string;
  padTo?: number;
  /** `id`: the id the error must carry, when it differs from what parsing the message gives. */
  expect: { code?: number; reason?: string; noReply?: boolean; result?: boolean; id?: string | number | null };
}

const PRE_PARSE = new Set(['MESSAGE_TOO_LARGE', 'NESTING_TOO_DEEP', 'INVALID_UTF8', 'PARSE_ERROR']);
const DIR = join(ROOT, 'test', 'fixtures', 'messages');
const load = (kind: string) =>
  readdirSync(join(DIR, kind))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: f, fx: JSON.parse(readFileSync(join(DIR, kind, f), 'utf8')) as Fixture }));

function bytesOf(fx: Fixture): Buffer {
  if (fx.rawBase64 !== undefined) return Buffer.from(fx.rawBase64, 'base64');
  if (fx.raw !== undefined) return Buffer.from(fx.raw, 'utf8');
  let text = JSON.stringify(fx.message);
  if (fx.padTo) {
    const m = structuredClone(fx.message) as { params: { arguments: Record<string, unknown> } };
    m.params.arguments.message = 'x'.repeat(fx.padTo);
    text = JSON.stringify(m);
  }
  return Buffer.from(text, 'utf8');
}

const CONFIG = `
mcp:
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum]
      deniedTools: [get-env]
    resourceAccess: { denied: ["file://*", "demo://resource/static/document/architecture.md"] }
    rateLimiting: { enabled: false }
    validation:
      maxMessageSize: 8192
      maxNestingDepth: 8
      maxToolArguments: 4
      schemaValidation: strict
      # Everything the revisions define but completion/complete (reject/method-not-allowed.json).
      allowedMethods: [tools/list, tools/call, prompts/list, prompts/get, resources/list, resources/templates/list, resources/read,
        resources/subscribe, resources/unsubscribe, subscriptions/listen, logging/setLevel, tasks/get, tasks/result, tasks/list, tasks/cancel,
        sampling/createMessage, elicitation/create, roots/list]
    audit:
      destinations: [{ type: file, path: "\${AUDIT}" }]
`;

describe('rejection corpus through portcullis wrap', () => {
  const cfg = writeConfig(CONFIG);
  const { command, args } = wrapCommand(['node', EVERYTHING, 'stdio'], cfg.path);
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` } });
  let buf = '';
  const waiting: ((m: Record<string, unknown>) => boolean)[] = [];
  const received: Record<string, unknown>[] = [];
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      received.push(msg);
      for (let i = 0; i < waiting.length; i++) if (waiting[i](msg)) waiting.splice(i--, 1);
    }
  });
  const next = (pred: (m: Record<string, unknown>) => boolean, ms = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no reply')), ms);
      t.unref();
      waiting.push((m) => {
        if (!pred(m)) return false;
        clearTimeout(t);
        resolve(m);
        return true;
      });
    });
  const send = (b: Buffer) => proc.stdin!.write(Buffer.concat([b, Buffer.from('\n')]));

  before(async () => {
    // Starting wrap and the server can take long on a loaded 2-core machine; no timing is asserted.
    const init = next((m) => m.id === 'init', 90_000);
    send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'corpus', version: '1' } } })));
    const r = await init;
    assert.ok(r.result, `initialize failed: ${JSON.stringify(r)}`);
    send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })));
  });
  after(() => {
    proc.stdin!.end();
    proc.kill('SIGTERM');
  });

  for (const { file, fx } of load('reject')) {
    test(`reject/${file}: ${fx.description}`, async () => {
      const bytes = bytesOf(fx);
      if (fx.expect.noReply) {
        // Follow it with a ping: the ping's answer must be the next message (no reply in between).
        const before = received.length;
        const pong = next((m) => m.id === `after-${file}`);
        send(bytes);
        send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: `after-${file}`, method: 'ping' })));
        await pong;
        assert.equal(received.length, before + 1, 'the malformed notification must get no reply');
        return;
      }
      // Rejected before parsing: the id is known only as far as the fixture says (an oversized
      // frame's edges are read for it); otherwise the error carries id null (JSON-RPC).
      let id: unknown = fx.expect.id === undefined ? null : fx.expect.id;
      if (!PRE_PARSE.has(fx.expect.reason!)) try {
        const v = JSON.parse(bytes.toString('utf8')) as { id?: unknown };
        if (v && typeof v === 'object' && !Array.isArray(v) && (typeof v.id === 'string' || Number.isInteger(v.id))) id = v.id;
      } catch {
        /* unparseable: the error carries id null */
      }
      const reply = next((m) => m.id === id && 'error' in m);
      send(bytes);
      const m = (await reply) as { error: { code: number; message: string; data?: { reason?: string } } };
      assert.equal(m.error.code, fx.expect.code, `code for ${file}: ${JSON.stringify(m.error)}`);
      assert.equal(m.error.data?.reason, fx.expect.reason, `reason for ${file}`);
    });
  }

  for (const { file, fx } of load('accept')) {
    test(`accept/${file}: ${fx.description}`, async () => {
      const msg = fx.message as { id: unknown };
      const reply = next((m) => m.id === msg.id);
      send(bytesOf(fx));
      const m = await reply;
      assert.ok('result' in m, `expected a result for ${file}, got ${JSON.stringify(m)}`);
    });
  }

  test('the gateway is still healthy after the whole corpus, and every rejection was audited', async () => {
    const pong = next((m) => m.id === 'final-ping');
    send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'final-ping', method: 'ping' })));
    assert.deepEqual((await pong).result, {});
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
    const audit = readAudit(cfg.auditPath);
    const failures = audit.filter((r) => r.event === 'schema_validation_failed').length;
    const denials = audit.filter((r) => r.event === 'tool_denied').length;
    assert.ok(failures >= 20, `schema_validation_failed records: ${failures}`);
    assert.ok(denials >= 3, `tool_denied records: ${denials}`);
  });
});
