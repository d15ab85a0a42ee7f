/**
 * A hostile server shapes its answers to switch the gateway's result checks off (security issue
 * "Close the bypasses", items 5 and 13; field defects, item 6): a `task` object or a 2026
 * `resultType` beside the content, an injection or a token in a JSON-RPC error, two `text` members
 * (the inspector reads the last, a first-wins parser the first), and broken or polluting messages
 * that used to be dropped and leave the call to time out. Also the reverse: a legitimate result
 * with `constructor` and `prototype` keys, once refused as a protocol error.
 *
 * The server (test/fixtures/servers/hostile-result-server.ts) is a real process behind
 * `portcullis wrap`; the client is the v1 SDK over stdio, and for the duplicate members a raw
 * line reader (the point is which bytes reach the client, which any parser then reads).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { HARMLESS, INJECTION, SECRET } from '../fixtures/servers/hostile-result-server.ts';
import { NODE, readAudit, ROOT, rpcError, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';

const SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'hostile-result-server.ts');
const ATTACK = /ignore all previous instructions/i;
const QUARANTINED = /^\[Portcullis quarantined this result: possible prompt injection \(rule injection\.[a-z-]+\)\. An operator can review it as q-[0-9a-f]{24}\.\]$/;

// A short request timeout: before the fix, a dropped answer surfaced as REQUEST_TIMEOUT after it.
const config = (validation: string) => `
mcp:
  state: {dir: "\${DIR}/state"}
  timeouts: {requestSeconds: 20}
  security:
    toolAccess: {defaultPolicy: allow}
    validation: {schemaValidation: ${validation}}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

/** Inside a describe: a v1 SDK client of `portcullis wrap` in front of the hostile server. */
function wrapped(validation: string): { client: () => Client; auditPath: string } {
  const cfg = writeConfig(config(validation));
  let client: Client | undefined;
  before(async () => {
    const { command, args } = wrapCommand([NODE, SERVER], cfg.path);
    client = new Client({ name: 'hostile-results-e2e', version: '0.0.1' });
    await client.connect(new StdioClientTransport({ command, args, stderr: 'pipe' }));
  });
  after(async () => {
    await client?.close();
  });
  return { client: () => client!, auditPath: cfg.auditPath };
}

const call = (client: () => Client, name: string, args: Record<string, unknown>) => client().callTool({ name, arguments: args });

describe('a hostile server through portcullis wrap (strict validation, the default)', () => {
  const w = wrapped('strict');

  test('a task object in a plain tools/call result is a protocol violation: refused, nothing smuggled', async () => {
    for (const payload of ['injection', 'secret']) {
      const e = await rpcError(call(w.client, 'task_smuggle', { payload }));
      assert.equal(e.data?.reason, 'RESULT_INVALID', JSON.stringify(e));
      assert.doesNotMatch(JSON.stringify(e), ATTACK);
      assert.ok(!JSON.stringify(e).includes(SECRET()));
    }
  });

  test('resultType input_required on a 2025-11-25 connection: inspected all the same, the resultType dropped', async () => {
    const q = await call(w.client, 'input_required_smuggle', { payload: 'injection' });
    assert.equal(q.isError, true);
    assert.match(textOf(q), QUARANTINED);
    assert.equal((q as Record<string, unknown>).resultType, undefined);
    assert.equal((q as Record<string, unknown>).inputRequests, undefined, 'the quarantined result is replaced whole');
    const r = await call(w.client, 'input_required_smuggle', { payload: 'secret' });
    assert.equal(textOf(r), 'Deploy token: [REDACTED:github-token]');
    assert.equal((r as Record<string, unknown>).resultType, undefined, 'no client may read it as control');
  });

  test('a JSON-RPC error from the server is inspected: a token redacted in message and data, an injection quarantined', async () => {
    const leak = await rpcError(call(w.client, 'fail', { payload: 'secret' }));
    assert.equal(leak.code, -32000);
    assert.match(leak.message, /Deploy token: \[REDACTED:github-token\]/);
    assert.deepEqual(leak.data, { detail: 'Deploy token: [REDACTED:github-token]' });
    const inj = await rpcError(call(w.client, 'fail', { payload: 'injection' }));
    assert.equal(inj.code, -32000, 'the server\'s code stays');
    assert.match(inj.message.replace(/^MCP error -?\d+: /, ''), QUARANTINED);
    assert.equal(inj.data, undefined);
  });

  test('a result with constructor and prototype keys is data: it arrives, it is not a timeout', async () => {
    const r = (await call(w.client, 'describe_class', {})) as { structuredContent?: Record<string, any> };
    assert.deepEqual(r.structuredContent?.members?.constructor, { kind: 'method', params: ['size'] });
    assert.equal(r.structuredContent?.schema?.properties?.prototype?.type, 'string');
  });

  test('a polluting or broken answer fails its call at once with UPSTREAM_PROTOCOL_ERROR, never a timeout', async () => {
    for (const how of ['proto', 'constructor', 'garbled', 'envelope', 'string-id']) {
      const e = await rpcError(call(w.client, 'pollute', { how }));
      assert.equal(e.data?.reason, 'UPSTREAM_PROTOCOL_ERROR', `${how}: ${JSON.stringify(e)}`);
      assert.equal(e.code, -32013);
    }
    // The server is still usable afterwards.
    const r = (await call(w.client, 'describe_class', {})) as { structuredContent?: Record<string, unknown> };
    assert.equal(r.structuredContent?.class, 'Widget');
  });

  test('the audit log has the findings, never the smuggled text', async () => {
    await w.client().close();
    const audit = readAudit(w.auditPath);
    assert.ok(audit.some((r) => r.event === 'content_quarantined' && r.tool === 'fail'), audit.map((r) => r.event).join(', '));
    assert.ok(audit.some((r) => r.event === 'secret_redacted' && r.tool === 'input_required_smuggle'));
    assert.ok(audit.some((r) => r.event === 'upstream_error' && /FORBIDDEN_KEY/.test(String(r.reason))));
    const all = JSON.stringify(audit);
    assert.doesNotMatch(all, ATTACK);
    assert.ok(!all.includes(SECRET()));
  });
});

describe('the same server with schemaValidation: warn — a task object no longer switches inspection off', () => {
  const w = wrapped('warn');

  test('the injection beside a task object is quarantined, the token redacted', async () => {
    const q = await call(w.client, 'task_smuggle', { payload: 'injection' });
    assert.match(textOf(q), QUARANTINED);
    const r = await call(w.client, 'task_smuggle', { payload: 'secret' });
    assert.equal(textOf(r), 'Deploy token: [REDACTED:github-token]');
    await w.client().close();
    assert.ok(readAudit(w.auditPath).some((x) => x.event === 'schema_validation_failed' && /asked for none/.test(String(x.reason))));
  });
});

describe('duplicate text members, read off the wire', () => {
  const cfg = writeConfig(config('strict'));
  const { command, args } = wrapCommand([NODE, SERVER], cfg.path);
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting: Array<{ id: number; resolve: (line: string) => void }> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    const i = waiting.findIndex((w) => w.id === id);
    if (i >= 0) waiting.splice(i, 1)[0]!.resolve(line);
  });
  const rpc = (id: number, method: string, params: Record<string, unknown>) =>
    new Promise<string>((resolve) => {
      waiting.push({ id, resolve });
      proc.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });

  before(async () => {
    await rpc(1, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    proc.stdin!.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  });
  after(() => {
    proc.stdin!.end();
    proc.kill('SIGTERM');
  });

  test('the client receives one text, the one inspected: the smuggled first member is not in the bytes', async () => {
    for (const [id, payload] of [[2, 'injection'], [3, 'secret']] as const) {
      const line = await rpc(id, 'tools/call', { name: 'duplicate_text', arguments: { payload } });
      assert.doesNotMatch(line, ATTACK, line);
      assert.ok(!line.includes(SECRET()), line);
      assert.ok(!line.includes(INJECTION.slice(0, 20)));
      assert.equal((line.match(/"text":/g) ?? []).length, 1, line);
      assert.deepEqual((JSON.parse(line) as { result: { content: unknown } }).result.content, [{ type: 'text', text: HARMLESS }]);
    }
  });
});
