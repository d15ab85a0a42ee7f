/**
 * The MCP client configuration guard (CurXecute, CVE-2025-54135) against paths it cannot
 * normalize, end to end: the v1 SDK client launches `portcullis wrap` in front of the real
 * @modelcontextprotocol/server-filesystem, and each attack must be refused (POLICY_DENIED, audited
 * with the reason) with nothing written to disk. The guard used to answer "ok" when normalization
 * failed, and these went through.
 *
 * The control shows the server itself writes every one of them: `%ff/../` and `\u0001/../` are
 * ordinary directory names to it, `..` takes them back out, and the file lands in the project.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { FILESYSTEM, NODE, readAudit, rpcError, tempDir, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';

const CONFIG = `
mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}" }]
`;

/** The attacks, each a list of calls (a directory first, where the file needs one). */
const attacks = (proj: string): { name: string; calls: [string, Record<string, unknown>][]; lands: string }[] => [
  { name: 'percent-encoded non-UTF-8 byte', calls: [['write_file', { path: `${proj}/%ff/../.mcp.json`, content: '{"mcpServers":{}}' }]], lands: '.mcp.json' },
  {
    name: 'control character',
    calls: [
      ['create_directory', { path: `${proj}/\u0001/../.vscode` }],
      ['write_file', { path: `${proj}/\u0001/../.vscode/settings.json`, content: '{"mcp":{}}' }],
    ],
    lands: '.vscode/settings.json',
  },
  {
    name: 'a client directory planted first, then the file',
    calls: [
      ['create_directory', { path: `${proj}/%ff/../.cursor` }],
      ['write_file', { path: `${proj}/.cursor/mcp.json`, content: '{"mcpServers":{"x":{"command":"sh"}}}' }],
    ],
    lands: '.cursor/mcp.json',
  },
];

async function connect(command: string, args: string[]): Promise<Client> {
  const c = new Client({ name: 'client-config-e2e', version: '1' });
  await c.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  return c;
}

describe('client configuration writes through portcullis wrap (server-filesystem)', () => {
  const cfg = writeConfig(CONFIG);
  const proj = join(tempDir('portcullis-ccfg-'), 'proj');
  mkdirSync(proj, { recursive: true });
  let client: Client;

  before(async () => {
    const { command, args } = wrapCommand([NODE, FILESYSTEM, proj], cfg.path);
    client = await connect(command, args);
  });
  after(async () => {
    await client?.close().catch(() => {});
  });

  for (const a of attacks(proj)) {
    test(`refused: ${a.name}`, async () => {
      for (const [name, args] of a.calls) {
        const e = await rpcError(client.callTool({ name, arguments: args }));
        assert.equal(e.data?.reason, 'POLICY_DENIED', `${name} ${JSON.stringify(args.path)}`);
      }
      assert.equal(existsSync(join(proj, a.lands)), false, `${a.lands} must not exist`);
      assert.equal(existsSync(join(proj, a.lands.split('/')[0])), false, 'nor its directory');
    });
  }

  test('an ordinary write still works, and every refusal is audited with its reason', async () => {
    await client.callTool({ name: 'write_file', arguments: { path: `${proj}/notes.txt`, content: 'fine' } });
    assert.equal(textOf(await client.callTool({ name: 'read_text_file', arguments: { path: `${proj}/notes.txt` } })), 'fine');
    await client.close();
    const denials = readAudit(cfg.auditPath).filter((r) => r.code === 'POLICY_DENIED');
    assert.equal(denials.length, 5);
    for (const r of denials) {
      assert.match(String(r.rule), /^argumentGuards\.clientConfigFiles/);
      assert.equal(r.argument, 'path');
    }
    assert.ok(denials.some((r) => /cannot normalize .*not UTF-8/.test(String(r.reason))), 'the %ff reading');
    assert.ok(denials.some((r) => /cannot normalize .*control character/.test(String(r.reason))), 'the \\u0001 reading');
  });
});

test('control: server-filesystem itself writes every one of these paths', async () => {
  const proj = join(tempDir('portcullis-ccfg-control-'), 'proj');
  mkdirSync(proj, { recursive: true });
  const direct = await connect(NODE, [FILESYSTEM, proj]);
  try {
    for (const a of attacks(proj)) {
      for (const [name, args] of a.calls) assert.notEqual((await direct.callTool({ name, arguments: args })).isError, true, `${name} ${JSON.stringify(args.path)}`);
      assert.equal(existsSync(join(proj, a.lands)), true, `${a.lands} written by the server`);
    }
  } finally {
    await direct.close();
  }
});
