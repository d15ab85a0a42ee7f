/**
 * Supervision and backend availability, through a real gateway:
 *   - a missing backend with `required: true` refuses to start that server (clearly, audited), and
 *     nothing else is affected; with `required: false` it runs unsandboxed and warns on every start;
 *   - a crash fails every call in flight at once, the server comes back by itself (eager restart),
 *     and the client's session carries on;
 *   - a server that cannot stay up is declared crash-looping (audited `sandbox_crash_loop`).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { probeEngine } from '../../src/sandbox/detect.ts';
import type { RunningGateway } from '../helpers/gateway-process.ts';
import { call, eventually, FIXTURE_DIR, HOSTILE, sandboxDir, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

const podman = probeEngine('podman');
const docker = probeEngine('docker');

describe('sandbox supervision and backends', () => {
  let env: SandboxGateway;
  let gw: RunningGateway;
  let client: Client;
  const data = sandboxDir('portcullis-sbx-super-', true);
  const log = (name: string) => join(data, `${name}.spawns`);
  const spawns = (name: string) => (existsSync(log(name)) ? readFileSync(log(name), 'utf8').split('\n').filter(Boolean).length : 0);

  before(async () => {
    const server = (name: string, sandbox: string, env = '') =>
      `    - name: ${name}
      command: "\${NODE}"
      args: [${JSON.stringify(HOSTILE)}]
      env: { SPAWN_LOG: ${JSON.stringify(log(name))}${env} }
      security: { sandbox: ${sandbox} }`;
    env = await sandboxGateway(
      `${server('strict', '{ container: podman, image: "portcullis/none:latest", required: true }')}
${server('lenient', '{ container: podman, image: "portcullis/none:latest", required: false }')}
${server('dockerized', '{ container: docker, image: "portcullis/none:latest" }')}
${server('flaky', '{}')}
${server('looping', '{}', ', EXIT_AT_START: "1"')}`,
      `      enabled: true
      allowedPaths: [${FIXTURE_DIR}, { path: ${data}, writable: true }]`,
    );
    ({ gw, client } = env);
  });

  after(() => env?.stop(data));

  test('required: true and the backend is missing: that server refuses to start, clearly; the others work', { skip: podman.ok ? 'podman answers on this host' : false }, async () => {
    const r = await call(client, 'strict__echo', { text: 'x' });
    assert.equal(r.error?.data?.reason, 'UPSTREAM_UNAVAILABLE', JSON.stringify(r));
    assert.equal(spawns('strict'), 0, 'never started, not even unsandboxed');
    const refused = await eventually(() => gw.audit().find((e) => e.event === 'sandbox_refused' && e.server === 'strict'), 'sandbox_refused audited');
    assert.match(String(refused.reason), /podman/);
    assert.match(String((refused.detail as { fix: string }).fix), /required: false/);
    assert.match(gw.stderr(), /server 'strict' NOT started: sandbox backend podman unavailable/);
    assert.equal(((await call(client, 'flaky__echo', { text: 'fine' })).report as { echo: string }).echo, 'fine');
  });

  test('container: docker with no engine answering refuses the same way', { skip: docker.ok ? 'a docker engine answers on this host' : false }, async () => {
    const r = await call(client, 'dockerized__echo', { text: 'x' });
    assert.equal(r.error?.data?.reason, 'UPSTREAM_UNAVAILABLE');
    const refused = await eventually(() => gw.audit().find((e) => e.event === 'sandbox_refused' && e.server === 'dockerized'), 'sandbox_refused audited');
    assert.match(String(refused.reason), /docker/);
    assert.equal(spawns('dockerized'), 0);
  });

  test('required: false and the backend is missing: it runs unsandboxed and warns on every start', { skip: podman.ok ? 'podman answers on this host' : false }, async () => {
    const me = (await call(client, 'lenient__whoami')).report as { hostname: string; uid: number };
    assert.notEqual(me.hostname, 'mcp-sandbox', 'not sandboxed');
    await call(client, 'lenient__crash');
    await eventually(() => spawns('lenient') >= 2, 'restarted');
    const starts = await eventually(() => {
      const s = gw.audit().filter((e) => e.event === 'sandbox_started' && e.server === 'lenient');
      return s.length >= 2 ? s : undefined;
    }, 'a sandbox_started record for each start');
    for (const s of starts) assert.equal((s.detail as { sandboxed: boolean }).sandboxed, false);
    assert.ok((gw.stderr().match(/server 'lenient' runs UNSANDBOXED/g) ?? []).length >= 2, 'the warning is printed at every start');
  });

  test('a crash fails every call in flight at once; the server restarts by itself; the session carries on', async () => {
    assert.equal(((await call(client, 'flaky__echo', { text: 'up' })).report as { echo: string }).echo, 'up');
    const before = spawns('flaky');
    const slow = call(client, 'flaky__sleep', { ms: 60_000 });
    await new Promise((r) => setTimeout(r, 200));
    const crash = await call(client, 'flaky__crash');
    assert.equal(crash.error?.data?.reason, 'UPSTREAM_UNAVAILABLE');
    const r = await slow;
    assert.equal(r.error?.data?.reason, 'UPSTREAM_UNAVAILABLE', 'the other call in flight failed too, without waiting for its minute');
    await eventually(() => spawns('flaky') === before + 1, 'restarted without waiting for a call');
    assert.equal(((await call(client, 'flaky__echo', { text: 'same session' })).report as { echo: string }).echo, 'same session');
    const me = (await call(client, 'flaky__whoami')).report as { hostname: string };
    assert.equal(me.hostname, 'mcp-sandbox', 'restarted inside the sandbox again');
  });

  test('a server that cannot stay up is declared crash-looping and audited', async () => {
    const loop = await eventually(() => gw.audit().find((e) => e.event === 'sandbox_crash_loop' && e.server === 'looping'), 'sandbox_crash_loop audited', 60_000);
    assert.equal((loop.detail as { failures: number }).failures, 5);
    assert.equal(spawns('looping'), 5, 'five attempts with back-off, then no more');
    const r = await call(client, 'looping__echo', { text: 'x' });
    assert.equal(r.error?.data?.reason, 'UPSTREAM_UNAVAILABLE');
    assert.equal(gw.proc.exitCode, null);
  });
});
