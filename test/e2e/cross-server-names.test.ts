/**
 * Names across several servers: a hostile server cannot borrow another server's rules by
 * choosing its own names. Server `evil` (test/fixtures/servers/name-clash-server.ts) offers a
 * tool named `files__read_all_secrets`, exposed as `evil__files__read_all_secrets`; the rule
 * `allowedTools: ["files__read_*"]` is for server `files` (a real server-filesystem) and must not
 * allow it. The same for a prompt and a resource named after server `everything`'s
 * (server-everything). Real processes: `portcullis run`, three real servers, the v1 SDK client;
 * `portcullis policy explain` must agree with the gateway.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, NODE, ROOT, rpcError, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const EVIL = join(ROOT, 'test', 'fixtures', 'servers', 'name-clash-server.ts');
const dir = tempDir();
const data = join(dir, 'data');
let gw: RunningGateway;
let client: Client;

before(async () => {
  mkdirSync(data);
  writeFileSync(join(data, 'notes.txt'), 'files ran');
  gw = await startGateway(
    `mcp:
  servers:
    - { name: files, command: "\${NODE}", args: ["\${FILESYSTEM}", "${data}"] }
    - { name: everything, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }
    - { name: evil, command: "\${NODE}", args: ["${EVIL}"] }
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: ["files__read_*", "evil__read_notes"]
    promptAccess: { defaultPolicy: deny, allowed: ["everything__simple-prompt"] }
    resourceAccess: { defaultPolicy: deny, allowed: ["everything+demo://resource/static/*"] }
    pinning: { enabled: false, poisoning: { enabled: false } }   # the name policy alone must hold
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`,
    [],
    { dir },
  );
  client = new Client({ name: 'cross-server-names', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
});

after(async () => {
  await client.close().catch(() => {});
  await gw.stop();
});

test("a server prefix in an allow rule is that server's: evil's `files__read_all_secrets` is neither listed nor callable", async () => {
  const listed = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(listed.includes('files__read_text_file'), listed.join(' '));
  assert.ok(!listed.includes('evil__files__read_all_secrets'), listed.join(' '));
  const e = await rpcError(client.callTool({ name: 'evil__files__read_all_secrets', arguments: {} }));
  assert.equal(e.data?.reason, 'UNKNOWN_TOOL');
  assert.equal(textOf(await client.callTool({ name: 'files__read_text_file', arguments: { path: join(data, 'notes.txt') } })), 'files ran');
  await new Promise((r) => setTimeout(r, 300)); // the audit sink batches writes
  const rec = gw.audit().find((r) => r.tool === 'files__read_all_secrets' && r.decision === 'deny');
  assert.equal(rec?.rule, 'defaultPolicy: deny');
});

test('an allow rule names exactly one spelling: evil__read_notes, not evil__Read_Notes', async () => {
  const listed = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(listed.includes('evil__read_notes'));
  assert.ok(!listed.includes('evil__Read_Notes'));
  assert.equal(textOf(await client.callTool({ name: 'evil__read_notes', arguments: {} })), 'read_notes ran');
  assert.equal((await rpcError(client.callTool({ name: 'evil__Read_Notes', arguments: {} }))).data?.reason, 'UNKNOWN_TOOL');
});

test("prompts: evil's `everything__simple-prompt` is not server everything's", async () => {
  const listed = (await client.listPrompts()).prompts.map((p) => p.name);
  assert.ok(listed.includes('everything__simple-prompt'), listed.join(' '));
  assert.ok(!listed.includes('evil__everything__simple-prompt'), listed.join(' '));
  assert.equal((await rpcError(client.getPrompt({ name: 'evil__everything__simple-prompt' }))).data?.reason, 'UNKNOWN_PROMPT');
  assert.ok((await client.getPrompt({ name: 'everything__simple-prompt' })).messages.length > 0);
});

test("resources: evil's `everything+demo://…` is not server everything's", async () => {
  const evil = 'evil+everything+demo://resource/static/document/evil.md';
  const listed = (await client.listResources()).resources.map((r) => r.uri);
  assert.ok(listed.some((u) => u.startsWith('everything+demo://resource/static/')), listed.join(' '));
  assert.ok(!listed.includes(evil), listed.join(' '));
  assert.equal((await rpcError(client.readResource({ uri: evil }))).data?.reason, 'UNKNOWN_RESOURCE');
  const doc = await client.readResource({ uri: 'everything+demo://resource/static/document/architecture.md' });
  assert.ok(doc.contents.length > 0);
});

test('`portcullis policy explain` decides as the gateway does', () => {
  const explain = (tool: string) => spawnSync(NODE, [BIN, 'policy', 'explain', '--config', join(dir, 'config.yaml'), '--tool', tool, '--json'], { encoding: 'utf8' });
  const evil = explain('evil__files__read_all_secrets');
  assert.equal(evil.status, 1, evil.stdout + evil.stderr);
  const out = JSON.parse(evil.stdout) as { decision: string; rule: string; steps: { rule: string }[] };
  assert.equal(out.decision, 'deny');
  assert.equal(out.rule, 'defaultPolicy: deny');
  assert.ok(!out.steps.some((s) => s.rule.startsWith('allowedTools[0]')), 'the files rule is not shown as matching');
  const files = explain('files__read_text_file');
  assert.equal(files.status, 0, files.stdout + files.stderr);
  assert.equal((JSON.parse(files.stdout) as { steps: { rule: string }[] }).steps[0].rule, 'allowedTools[0]: files__read_*');
});
