/**
 * Deny globs are case-insensitive and NFKC-folded: `deniedTools: ["*delete*"]` refuses a real
 * server's `DeleteRepository`, `DELETE_ALL` and fullwidth `ｄｅｌｅｔｅ_ｍｅ`
 * (test/fixtures/servers/name-clash-server.ts), through `portcullis wrap` with the v1 SDK client
 * over stdio. Allow rules stay exact (cross-server-names.test.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readAudit, ROOT, rpcError, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';

const SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'name-clash-server.ts');
const DELETES = ['DeleteRepository', 'DELETE_ALL', 'ｄｅｌｅｔｅ_ｍｅ'];
const cfg = writeConfig(`mcp:
  security:
    toolAccess:
      defaultPolicy: allow
      deniedTools: ["*delete*"]
    pinning: { enabled: false, poisoning: { enabled: false } }
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`);
let client: Client;

before(async () => {
  client = new Client({ name: 'deny-case', version: '1' });
  await client.connect(new StdioClientTransport({ ...wrapCommand([process.execPath, SERVER], cfg.path), stderr: 'ignore' }));
});
after(async () => {
  await client.close().catch(() => {});
});

test('`*delete*` hides and refuses DeleteRepository, DELETE_ALL and the fullwidth ｄｅｌｅｔｅ_ｍｅ', async () => {
  const listed = (await client.listTools()).tools.map((t) => t.name);
  for (const name of DELETES) {
    assert.ok(!listed.includes(name), `${name} listed: ${listed.join(' ')}`);
    assert.equal((await rpcError(client.callTool({ name, arguments: {} }))).data?.reason, 'UNKNOWN_TOOL', name);
  }
  assert.ok(listed.includes('read_notes'));
  assert.equal(textOf(await client.callTool({ name: 'read_notes', arguments: {} })), 'read_notes ran');
});

test('each refusal is audited with the deny rule', async () => {
  await new Promise((r) => setTimeout(r, 300)); // the audit sink batches writes
  const denied = readAudit(cfg.auditPath).filter((r) => r.decision === 'deny' && r.rule === 'deniedTools[0]: *delete*');
  for (const name of DELETES) assert.ok(denied.some((r) => r.tool === name), `${name} audited`);
});
