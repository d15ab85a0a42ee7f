/**
 * The package as a consumer gets it: built (`npm run build`, as prepack does) and installed as
 * real files under a consumer's node_modules, where Node refuses to strip types. A plain-JS
 * consumer imports `portcullis`, guards a v1 SDK client connected to server-everything, and sees
 * an allowed call answered, a denied one refused with the wire code, and the audit written; the
 * CLI launcher of the installed package runs its build too. The dependencies are the repository's
 * own (symlinked), so nothing is fetched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { EVERYTHING, NODE, readAudit, ROOT, tempDir } from '../helpers/gateway-process.ts';

describe('the published entry point, installed under node_modules', () => {
  const dir = tempDir('portcullis-consumer-');
  const pkg = join(dir, 'node_modules', 'portcullis');

  before(() => {
    mkdirSync(pkg, { recursive: true });
    const tsc = spawnSync(NODE, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { encoding: 'utf8', timeout: 240_000 });
    assert.equal(tsc.status, 0, `build failed:\n${tsc.stdout}${tsc.stderr}`);
    const assets = spawnSync(NODE, [join(ROOT, 'scripts', 'copy-assets.cjs'), join(pkg, 'dist')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(assets.status, 0, `copying the assets failed:\n${assets.stdout}${assets.stderr}`);
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name !== '.bin' && name !== 'portcullis') symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
    }
    writeFileSync(join(dir, 'package.json'), '{"type":"module","private":true}');
    writeFileSync(
      join(dir, 'portcullis.yaml'),
      `mcp:\n  state: {dir: "${dir}/state"}\n  security:\n    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}\n    audit:\n      destinations: [{type: file, path: "${dir}/audit.log", rotation: none}]\n  skills:\n    - name: everything\n`,
    );
  });

  test('a plain-JS consumer imports Guard from "portcullis" and guards an SDK client', () => {
    writeFileSync(
      join(dir, 'agent.mjs'),
      `import { Guard, refusalOf } from 'portcullis';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
const guard = await Guard.fromConfig('portcullis.yaml', { log: () => {} });
const denied = [];
guard.on('tool:denied', (r) => denied.push(r.tool));
const sdk = new Client({ name: 'consumer', version: '1' });
await sdk.connect(new StdioClientTransport({ command: process.execPath, args: [${JSON.stringify(EVERYTHING)}, 'stdio'], stderr: 'ignore' }));
const client = guard.wrap(sdk, { server: 'everything' });
const tools = (await client.listTools()).tools.map((t) => t.name);
const echo = (await client.callTool({ name: 'echo', arguments: { message: 'hi' } })).content[0].text;
let refused;
try { await client.callTool({ name: 'get-env', arguments: {} }); } catch (err) { const r = refusalOf(err); refused = { code: r?.code, rpc: r?.rpcCode }; }
await sdk.close();
await guard.close();
console.log(JSON.stringify({ tools, echo, refused, denied }));
`,
    );
    const run = spawnSync(NODE, ['agent.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING/);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { tools: string[]; echo: string; refused: { code: string; rpc: number }; denied: string[] };
    assert.deepEqual(out.tools, ['echo']);
    assert.equal(out.echo, 'Echo: hi');
    assert.deepEqual(out.refused, { code: 'UNKNOWN_TOOL', rpc: -32602 });
    assert.deepEqual(out.denied, ['get-env']);
    const audit = readAudit(join(dir, 'audit.log'));
    assert.ok(audit.some((r) => r.event === 'tool_denied' && r.tool === 'get-env'));
  });

  test('only the entry is exported: internals are not importable by path', () => {
    writeFileSync(join(dir, 'deep.mjs'), `import('portcullis/src/gateway/gateway.ts').then(() => console.log('imported'), (e) => console.log(e.code));`);
    const run = spawnSync(NODE, ['deep.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.stdout.trim(), 'ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  test('the installed CLI runs its build', () => {
    const run = spawnSync(NODE, [join(pkg, 'bin', 'portcullis.cjs'), 'check', '--config', join(dir, 'portcullis.yaml')], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr + run.stdout);
    assert.doesNotMatch(run.stderr, /ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING/);
  });
});
