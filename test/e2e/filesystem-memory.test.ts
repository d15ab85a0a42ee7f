/**
 * Two more real servers from npm behind the gateway: server-filesystem through `portcullis wrap`
 * (a write tool denied by policy must leave the disk untouched) and server-memory through
 * `portcullis run` over Streamable HTTP (state written by one call is read by the next).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { FILESYSTEM, NODE, readAudit, rpcError, startGateway, stopProcess, tempDir, textOf, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

describe('server-filesystem through portcullis wrap', () => {
  const cfg = writeConfig(`
mcp:
  security:
    toolAccess:
      defaultPolicy: allow
      deniedTools: [write_file, edit_file, move_file]
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
  // realpath: the server resolves symlinks in its allowed directories.
  const root = realpathSync(tempDir('portcullis-fs-root-'));
  const file = join(root, 'notes.txt');
  const ORIGINAL = 'original contents\nline two\n';
  writeFileSync(file, ORIGINAL);

  let client: Client;
  let child: ChildProcess | undefined;

  before(async () => {
    const { command, args } = wrapCommand([NODE, FILESYSTEM, root], cfg.path);
    const transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
    // No `roots` capability: the server keeps the directory it was started with.
    client = new Client({ name: 'portcullis-e2e-fs', version: '0.0.1' });
    await client.connect(transport);
    child = (transport as unknown as { _process?: ChildProcess })._process;
  });

  after(async () => {
    await client?.close().catch(() => {});
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  test('the write tools are not listed', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('read_text_file') && names.includes('list_allowed_directories'), names.join(', '));
    for (const denied of ['write_file', 'edit_file', 'move_file']) assert.ok(!names.includes(denied), `${denied} is hidden`);
  });

  test('list_allowed_directories and read_text_file', async () => {
    const dirs = await client.callTool({ name: 'list_allowed_directories', arguments: {} });
    assert.ok(textOf(dirs).includes(root), textOf(dirs));
    const read = await client.callTool({ name: 'read_text_file', arguments: { path: file } });
    assert.notEqual(read.isError, true);
    assert.equal(textOf(read), ORIGINAL);
  });

  test('write_file and edit_file are refused as unknown tools and the file is unchanged', async () => {
    const write = await rpcError(client.callTool({ name: 'write_file', arguments: { path: file, content: 'pwned' } }));
    assert.equal(write.code, -32602);
    assert.match(write.message, /Unknown tool/);
    const edit = await rpcError(client.callTool({ name: 'edit_file', arguments: { path: file, edits: [{ oldText: 'original', newText: 'pwned' }] } }));
    assert.equal(edit.code, -32602);
    assert.equal(readFileSync(file, 'utf8'), ORIGINAL);
  });

  test('the server still confines reads to its directory (its own check, passed through)', async () => {
    const r = await client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /outside allowed directories/i);
  });

  test('the audit records the denied writes', async () => {
    const exited = child && child.exitCode === null ? new Promise((r) => child!.once('exit', r)) : Promise.resolve();
    await client.close();
    await exited;
    const denied = readAudit(cfg.auditPath).filter((r) => r.event === 'tool_denied').map((r) => r.tool);
    assert.deepEqual(denied.sort(), ['edit_file', 'write_file']);
    assert.equal(readFileSync(file, 'utf8'), ORIGINAL);
  });
});

describe('server-memory through portcullis run (Streamable HTTP)', () => {
  let gw: RunningGateway;
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  before(async () => {
    gw = await startGateway(`
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: memory
      command: "\${NODE}"
      args: ["\${MEMORY}"]
      env: {MEMORY_FILE_PATH: "\${DIR}/memory.jsonl"}
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [create_entities, read_graph, search_nodes]}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
    transport = new StreamableHTTPClientTransport(new URL(gw.url));
    client = new Client({ name: 'portcullis-e2e-memory', version: '0.0.1' });
    await client.connect(transport);
  });

  after(async () => {
    await transport?.terminateSession().catch(() => {});
    await client?.close().catch(() => {});
    if (gw) await stopProcess(gw.proc);
  });

  test('create_entities, then read_graph returns them', async () => {
    const entity = { name: 'Portcullis', entityType: 'gateway', observations: ['fronts MCP servers'] };
    const created = await client.callTool({ name: 'create_entities', arguments: { entities: [entity] } });
    assert.notEqual(created.isError, true, textOf(created));
    const graph = await client.callTool({ name: 'read_graph', arguments: {} });
    const parsed = JSON.parse(textOf(graph)) as { entities: { name: string; entityType: string; observations: string[] }[] };
    assert.deepEqual(
      parsed.entities.map(({ name, entityType, observations }) => ({ name, entityType, observations })),
      [entity],
    );
    const found = await client.callTool({ name: 'search_nodes', arguments: { query: 'Portcullis' } });
    assert.match(textOf(found), /Portcullis/);
  });

  test('the memory file is where the configuration put it', () => {
    assert.ok(existsSync(join(gw.dir, 'memory.jsonl')), 'MEMORY_FILE_PATH in the gateway temp dir');
    assert.match(readFileSync(join(gw.dir, 'memory.jsonl'), 'utf8'), /Portcullis/);
  });

  test('delete_entities is not allowed', async () => {
    const e = await rpcError(client.callTool({ name: 'delete_entities', arguments: { entityNames: ['Portcullis'] } }));
    assert.equal(e.code, -32602);
    const graph = await client.callTool({ name: 'read_graph', arguments: {} });
    assert.match(textOf(graph), /Portcullis/);
  });
});
