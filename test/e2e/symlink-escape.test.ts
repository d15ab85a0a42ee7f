/**
 * Symlinks and path rules (CVE-2025-53109), as documented: the gateway's path check is lexical,
 * so a link inside an allowed directory that points outside it passes, and the real
 * server-filesystem (serving the whole data directory) follows it. The test shows that through
 * `portcullis wrap` with the v1 SDK client — the documented, expected limit — and that
 * `portcullis check` now says so for every rule whose allowedPaths is narrower than what bounds
 * the server: no sandbox at all, or a sandbox that binds more than the rule allows. A sandbox that
 * binds only the allowed directory gets no warning (it is what stops the link; see
 * docs/sandbox.md and test/e2e/sandbox-filesystem.test.ts).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, FILESYSTEM, NODE, ROOT, rpcError, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';
import { sandboxDir } from '../helpers/sandbox-fixtures.ts';

// Readable by others: when the tests run as root, a sandbox runs as an unprivileged host user.
const dir = sandboxDir('portcullis-symlink-', false);
const data = join(dir, 'data');
mkdirSync(join(data, 'public'), { recursive: true });
mkdirSync(join(data, 'private'), { recursive: true });
writeFileSync(join(data, 'public', 'report.txt'), 'public report');
writeFileSync(join(data, 'private', 'secret.txt'), 'the secret');
symlinkSync(join(data, 'private', 'secret.txt'), join(data, 'public', 'link.txt'));

const config = (sandbox: string) => `mcp:
  servers: [{ name: files, command: "\${NODE}", args: ["\${FILESYSTEM}", "${data}"] }]
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - pattern: read_text_file
          allowedPaths: ["${data}/public/**"]
${sandbox}
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`;

/** `portcullis check --json` on the config: its warnings. */
function warningsOf(yaml: string): { path: string; message: string; fix: string }[] {
  const cfg = writeConfig(yaml);
  const r = spawnSync(NODE, [BIN, 'check', '--config', cfg.path, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return (JSON.parse(r.stdout) as { warnings: { path: string; message: string; fix: string }[] }).warnings;
}

describe('a symlink under an allowed path, through portcullis wrap (server-filesystem)', () => {
  const cfg = writeConfig(config(''));
  let client: Client;
  before(async () => {
    const { command, args } = wrapCommand([NODE, FILESYSTEM, data], cfg.path);
    client = new Client({ name: 'symlink-e2e', version: '1' });
    await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  });
  after(async () => {
    await client?.close().catch(() => {});
  });

  test('the rule refuses the private file by name', async () => {
    const e = await rpcError(client.callTool({ name: 'read_text_file', arguments: { path: join(data, 'private', 'secret.txt') } }));
    assert.equal(e.data?.reason, 'POLICY_DENIED');
    assert.equal(textOf(await client.callTool({ name: 'read_text_file', arguments: { path: join(data, 'public', 'report.txt') } })), 'public report');
  });

  test('documented limit: the same file through a link under the allowed path passes the lexical check', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: join(data, 'public', 'link.txt') } });
    assert.equal(textOf(r), 'the secret', 'no gateway can see the link; only a sandbox binding nothing but public/ stops it');
  });
});

/** The real node_modules (the worktree's is a symlink), bound read-only so the server can load. */
const NODE_MODULES = realpathSync(join(ROOT, 'node_modules'));
const NARROW_SANDBOX = `    sandbox: { enabled: true, memoryLimit: 1g, allowedPaths: ["${NODE_MODULES}", "${data}/public"] }`;

test('what stops the link: a sandbox binding only the allowed directory (the server still serves all of data/)', { skip: !existsSync('/usr/bin/bwrap') && 'needs bubblewrap' }, async () => {
  const cfg = writeConfig(config(NARROW_SANDBOX));
  const { command, args } = wrapCommand([NODE, FILESYSTEM, data], cfg.path);
  const c = new Client({ name: 'symlink-sandboxed', version: '1' });
  await c.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  try {
    assert.equal(textOf(await c.callTool({ name: 'read_text_file', arguments: { path: join(data, 'public', 'report.txt') } })), 'public report');
    const r = await c.callTool({ name: 'read_text_file', arguments: { path: join(data, 'public', 'link.txt') } });
    assert.equal(r.isError, true);
    assert.doesNotMatch(textOf(r), /the secret/);
  } finally {
    await c.close();
  }
});

test('portcullis check warns when a rule is narrower than what bounds its server', () => {
  const unsandboxed = warningsOf(config(''));
  assert.equal(unsandboxed.length, 1);
  assert.equal(unsandboxed[0].path, 'mcp.security.toolAccess.allowedTools.0.allowedPaths');
  assert.match(unsandboxed[0].message, /CVE-2025-53109.*without a sandbox/);

  const code = dirname(FILESYSTEM);
  const wide = warningsOf(config(`    sandbox: { enabled: true, allowedPaths: ["${code}", "${data}"] }`));
  assert.equal(wide.length, 1);
  assert.match(wide[0].message, new RegExp(`sandbox binds '${data}'`));
  assert.doesNotMatch(wide[0].message, new RegExp(code), "the server's own read-only code, which shares nothing with the rule, is not named");

  const writable = warningsOf(config(`    sandbox: { enabled: true, allowedPaths: ["${data}/public", { path: "${dir}/scratch", writable: true }] }`));
  assert.equal(writable.length, 1, 'a writable bind the rule does not allow is reachable through a link too');
  assert.match(writable[0].message, /scratch/);

  assert.deepEqual(warningsOf(config(NARROW_SANDBOX)), [], 'the sandbox binds only what the rule allows (and its code)');

  const perServer = warningsOf(`mcp:
  servers:
    - name: files
      command: "\${NODE}"
      args: ["\${FILESYSTEM}", "${data}"]
      security:
        toolAccess: { allowedTools: [list_directory, { pattern: read_text_file, allowedPaths: ["${data}/public/*"] }] }
`);
  assert.equal(perServer[0]?.path, 'mcp.servers.0.security.toolAccess.allowedTools.1.allowedPaths', 'the warning names the list the server uses');
});
