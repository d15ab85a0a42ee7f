/**
 * OpenClaw end to end (heavy: installs `openclaw` from npm, about 650 MB and a minute; run it with
 * `npm run test:openclaw`, not in the default suite). Set OPENCLAW_DIR to a directory that has
 * node_modules/openclaw already to skip the install.
 *
 * OpenClaw's own MCP client runs the agent's server through `portcullis wrap`, set up by
 * route-mcp-servers.mjs, under the seed's openclaw-mcp-security.yaml:
 *  1. unchanged: its docker sandbox is required and this host has no docker engine, so the server
 *     is not started and OpenClaw gets no tools from it (fail closed);
 *  2. the same file with `sandbox.enabled: false` (the only change): OpenClaw lists `file.read`
 *     and not `shell.exec` (denied by `shell.*`), and the exact command OpenClaw runs refuses
 *     `file.read /etc/hostname` (forbiddenPaths `/etc/*`) with POLICY_DENIED, audited in the file
 *     the configuration names (/var/log/openclaw/mcp-audit.log).
 * OpenClaw 2026.9.6 calls an MCP tool only inside an agent turn (a model is needed); its
 * `/tools/invoke` endpoint does not resolve MCP tools. So the refused call in 2 is made by the v1
 * SDK client over the command line OpenClaw stores, not by OpenClaw's client.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { NODE, ROOT, rpcError, tempDir } from '../../../test/helpers/gateway-process.ts';

const OPENCLAW_VERSION = '2026.9.6';
/** The seed's file (a byte-for-byte copy of /work/shared/fixtures/openclaw-mcp-security.yaml). */
const FIXTURE = join(ROOT, 'test', 'fixtures', 'config', 'openclaw-mcp-security.yaml');
const ROUTE = join(ROOT, 'integrations', 'openclaw', 'route-mcp-servers.mjs');
const SKILL_SERVER = join(ROOT, 'integrations', 'openclaw', 'test', 'file-skill-server.ts');
const AUDIT = '/var/log/openclaw/mcp-audit.log'; // named by the fixture
const env = { ...process.env, PATH: `${join(NODE, '..')}:${process.env.PATH}` };

function auditSince(t0: string): Record<string, unknown>[] {
  if (!existsSync(AUDIT)) return [];
  return readFileSync(AUDIT, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => String(r.time) >= t0);
}

describe(`OpenClaw ${OPENCLAW_VERSION} with its MCP server routed through portcullis wrap`, () => {
  let openclaw: string;
  const work = tempDir('portcullis-openclaw-');

  const run = (state: string, args: string[]) =>
    // cwd: the seed's state dir is relative (./portcullis-state); it lands in the test's directory.
    spawnSync(NODE, args, { cwd: state, env: { ...env, OPENCLAW_STATE_DIR: state, OPENCLAW_CONFIG_PATH: join(state, 'openclaw.json') }, encoding: 'utf8', timeout: 480_000 });
  const oc = (state: string, ...args: string[]) => {
    const r = run(state, [openclaw, ...args]);
    assert.equal(r.status, 0, `openclaw ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const route = (state: string, ...args: string[]) => run(state, [ROUTE, '--openclaw', openclaw, ...args]);
  const show = (state: string) => (JSON.parse(oc(state, 'mcp', 'show', '--json')) as Record<string, { command: string; args: string[]; env: Record<string, string> }>)['file-system-mcp'];
  /** An OpenClaw state dir whose config has one stdio server named like the fixture's file skill. */
  const stateDir = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir);
    const server = { command: NODE, args: [SKILL_SERVER], env: { AUDIT_WEBHOOK_TOKEN: 'e2e-token' } };
    writeFileSync(join(dir, 'openclaw.json'), JSON.stringify({ mcp: { servers: { 'file-system-mcp': server } } }));
    return dir;
  };
  const probe = (state: string) => {
    const out = oc(state, 'mcp', 'probe', 'file-system-mcp', '--json');
    return JSON.parse(out.slice(out.indexOf('{'))) as { tools: string[]; diagnostics: unknown[] };
  };

  before(() => {
    const dir = process.env.OPENCLAW_DIR ?? work;
    openclaw = join(dir, 'node_modules', 'openclaw', 'openclaw.mjs');
    if (existsSync(openclaw)) return;
    writeFileSync(join(dir, 'package.json'), '{"private":true}');
    const t0 = performance.now();
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', `openclaw@${OPENCLAW_VERSION}`], { cwd: dir, env, encoding: 'utf8', timeout: 900_000 });
    assert.equal(r.status, 0, r.stderr);
    process.stderr.write(`openclaw@${OPENCLAW_VERSION} installed in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  // The install (about 650 MB) and the state dirs go with the run; an OPENCLAW_DIR is left alone.
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the seed configuration unchanged: routed; its required docker sandbox is missing here, so the server is not started and OpenClaw gets no tool; --undo restores it', () => {
    const state = stateDir('unchanged');
    const r = route(state, '--config', FIXTURE);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(show(state).args.slice(1, 7), ['wrap', '--config', FIXTURE, '--name', 'file-system-mcp', '--']);
    const probe = run(state, [openclaw, 'mcp', 'probe', 'file-system-mcp', '--json']);
    assert.notEqual(probe.status, 0, 'the probe fails: Portcullis did not start the server');
    assert.match(probe.stdout + probe.stderr, /failed to start server "file-system-mcp".*MCP error -32012: No server is available/s);
    const again = route(state, '--config', FIXTURE, '--dry-run');
    assert.equal(again.status, 0);
    assert.match(again.stderr, /'file-system-mcp' is routed already/);
    assert.equal(route(state, '--undo').status, 0);
    const def = show(state);
    assert.deepEqual([def.command, ...def.args], [NODE, SKILL_SERVER]);
  });

  test('sandbox off (the one change): OpenClaw lists file.read but not shell.exec; the denied call is refused and audited', async () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const on = '    sandbox:\n      enabled: true\n';
    assert.equal(text.split(on).length, 2);
    const config = join(work, 'portcullis-sandbox-off.yaml');
    writeFileSync(config, text.replace(on, '    sandbox:\n      enabled: false\n'));
    const state = stateDir('sandbox-off');
    assert.equal(route(state, '--config', config).status, 0);
    const t0 = new Date().toISOString();
    assert.deepEqual(probe(state).tools, ['file-system-mcp__file-read'], 'shell.exec is denied by shell.* and hidden');
    const listed = auditSince(t0).find((r) => r.event === 'connection_established' && (r.detail as { client?: string }).client === 'openclaw-bundle-mcp');
    assert.ok(listed, "OpenClaw's own MCP client went through Portcullis");

    const def = show(state);
    const client = new Client({ name: 'openclaw-e2e', version: '1' });
    await client.connect(new StdioClientTransport({ command: def.command, args: def.args, env: { ...(env as Record<string, string>), ...def.env }, cwd: state, stderr: 'ignore' }));
    try {
      const e = await rpcError(client.callTool({ name: 'file.read', arguments: { path: '/etc/hostname' } }));
      assert.equal(e.code, -32602);
      assert.equal(e.data?.reason, 'POLICY_DENIED');
      const hidden = await rpcError(client.callTool({ name: 'shell.exec', arguments: { command: 'id' } }));
      assert.equal(hidden.data?.reason, 'UNKNOWN_TOOL');
    } finally {
      await client.close();
    }
    const denied = auditSince(t0).filter((r) => r.decision === 'deny');
    assert.ok(denied.some((r) => r.tool === 'file.read' && r.argument === 'path'), JSON.stringify(denied));
    assert.ok(denied.some((r) => r.event === 'tool_denied' && r.tool === 'shell.exec'));
  });
});
