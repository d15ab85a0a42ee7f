/**
 * @modelcontextprotocol/server-filesystem inside the sandbox, through the gateway: it works
 * normally on its allowed directory (list, write, read, edit, search), and only there. A second
 * instance is told by its own arguments that it may serve `/`; the sandbox still shows it nothing
 * but the bound directory, so a host secret stays out of reach even when the server's own check
 * is wrong (the kind of bug CVE-2025-53109/53110 were).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { FILESYSTEM, ROOT, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';
import { sandboxDir, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

const NODE_MODULES = join(ROOT, 'node_modules');

describe('server-filesystem in the sandbox', () => {
  let env: SandboxGateway;
  let client: Client;
  const data = sandboxDir('portcullis-sbx-fs-', true);
  const secrets = sandboxDir('portcullis-sbx-secret-', false);

  before(async () => {
    writeFileSync(join(data, 'hello.txt'), 'hello from the allowed directory\n');
    mkdirSync(join(data, 'sub'));
    writeFileSync(join(data, 'sub', 'nested.md'), '# nested\n');
    writeFileSync(join(secrets, 'secret.txt'), 'TOP SECRET');
    symlinkSync(join(secrets, 'secret.txt'), join(data, 'link-to-secret'));
    env = await sandboxGateway(
      `    - { name: files, command: "\${NODE}", args: ["\${FILESYSTEM}", ${JSON.stringify(data)}] }`,
      `      enabled: true
      memoryLimit: 1g
      allowedPaths: [${NODE_MODULES}, { path: ${data}, writable: true }]`,
    );
    client = env.client;
  });

  after(() => env?.stop(data, secrets));

  test('works normally on its allowed directory: list, read, write, edit, search', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    for (const t of ['read_text_file', 'write_file', 'edit_file', 'list_directory', 'search_files']) assert.ok(tools.includes(t), t);
    assert.match(textOf(await client.callTool({ name: 'list_allowed_directories', arguments: {} })), new RegExp(data));
    assert.equal(textOf(await client.callTool({ name: 'read_text_file', arguments: { path: join(data, 'hello.txt') } })), 'hello from the allowed directory\n');
    await client.callTool({ name: 'write_file', arguments: { path: join(data, 'new.txt'), content: 'written in the sandbox' } });
    assert.equal(readFileSync(join(data, 'new.txt'), 'utf8'), 'written in the sandbox', 'the write reached the host directory');
    await client.callTool({ name: 'edit_file', arguments: { path: join(data, 'new.txt'), edits: [{ oldText: 'written', newText: 'edited' }] } });
    assert.equal(readFileSync(join(data, 'new.txt'), 'utf8'), 'edited in the sandbox');
    assert.match(textOf(await client.callTool({ name: 'list_directory', arguments: { path: data } })), /\[DIR\] sub/);
    assert.match(textOf(await client.callTool({ name: 'search_files', arguments: { path: data, pattern: '**/*.md' } })), /nested\.md/);
  });

  test('only there: paths outside, and a symlink out of the directory, give nothing', async () => {
    for (const path of ['/etc/passwd', join(secrets, 'secret.txt'), join(data, 'link-to-secret'), join(data, '..', 'x')]) {
      const r = await client.callTool({ name: 'read_text_file', arguments: { path } });
      assert.equal(r.isError, true, path);
      assert.doesNotMatch(textOf(r), /TOP SECRET/);
    }
  });

  test("told by its arguments that it may serve /, it still sees only the sandbox (wrap, stdio)", async () => {
    const cfg = writeConfig(`mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    sandbox:
      enabled: true
      memoryLimit: 1g
      allowedPaths: [${NODE_MODULES}, ${data}]
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`);
    const w = wrapCommand([process.execPath, FILESYSTEM, '/'], cfg.path);
    const broad = new Client({ name: 'broad', version: '1' });
    await broad.connect(new StdioClientTransport({ command: w.command, args: w.args, stderr: 'ignore' }));
    try {
      const secret = await broad.callTool({ name: 'read_text_file', arguments: { path: join(secrets, 'secret.txt') } });
      assert.equal(secret.isError, true);
      assert.match(textOf(secret), /ENOENT|no such file/i);
      const listing = textOf(await broad.callTool({ name: 'list_directory', arguments: { path: '/' } }));
      for (const hidden of ['root', 'home', 'var']) assert.doesNotMatch(listing, new RegExp(`\\] ${hidden}$`, 'm'), `/${hidden} is not in the sandbox`);
      assert.equal(textOf(await broad.callTool({ name: 'read_text_file', arguments: { path: join(data, 'hello.txt') } })), 'hello from the allowed directory\n');
      const write = await broad.callTool({ name: 'write_file', arguments: { path: join(data, 'ro.txt'), content: 'x' } });
      assert.equal(write.isError, true, 'bound read-only here');
      assert.match(textOf(write), /EROFS|read-only/i);
    } finally {
      await broad.close();
    }
  });
});
