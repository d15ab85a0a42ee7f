/**
 * Resource limits of a sandboxed server, attacked from inside it through a real gateway: a fork
 * bomb, a memory bomb, a call that never ends (busy loop), and a gigabyte printed as one answer.
 * Each is contained, the server is killed and restarted where it has to be, and the gateway
 * keeps answering.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningGateway } from '../helpers/gateway-process.ts';
import { call, eventually, FIXTURE_DIR, HOSTILE, sandboxDir, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

const MAX_PROCESSES = 64;
// With the watchdog (no delegated cgroup) a Node server starts under 256m; under the old
// RLIMIT_DATA fallback it needed 768m just to reserve V8's code range.
const MEMORY_MB = 256;

describe('sandbox limits (bubblewrap)', () => {
  let env: SandboxGateway;
  let gw: RunningGateway;
  let client: Client;
  const data = sandboxDir('portcullis-sbx-limits-', true);
  const spawnLog = join(data, 'spawns.log');
  const spawns = () => (existsSync(spawnLog) ? readFileSync(spawnLog, 'utf8').split('\n').filter(Boolean).length : 0);
  const echo = async () => ((await call(client, 'echo', { text: 'ok' })).report as { echo?: string } | undefined)?.echo === 'ok';

  before(async () => {
    env = await sandboxGateway(
      `    - { name: hostile, command: "\${NODE}", args: [${JSON.stringify(HOSTILE)}], env: { SPAWN_LOG: ${JSON.stringify(spawnLog)} } }`,
      `      enabled: true
      memoryLimit: ${MEMORY_MB}m
      maxProcesses: ${MAX_PROCESSES}
      timeoutSeconds: 3
      maxOutputBytes: 16777216
      allowedPaths: [${FIXTURE_DIR}, { path: ${data}, writable: true }]`,
    );
    ({ gw, client } = env);
    assert.ok(await echo());
  });

  after(() => env?.stop(data));

  test('a fork bomb stops at maxProcesses; the server lives on', async (t) => {
    const before = spawns();
    const r = (await call(client, 'fork_bomb', { max: 2000 })).report as { forked: number };
    t.diagnostic(`forked ${r.forked} of 2000 before fork() failed (maxProcesses ${MAX_PROCESSES})`);
    assert.ok(r.forked < MAX_PROCESSES, `forked ${r.forked}`);
    assert.ok(await echo());
    assert.equal(spawns(), before, 'no restart was needed');
  });

  test('a memory bomb stops at memoryLimit (allocation refused, or the server killed and restarted)', async (t) => {
    const before = spawns();
    const r = await call(client, 'memory_bomb', { maxMb: 8192 });
    t.diagnostic(`memory bomb: ${JSON.stringify(r.report ?? r.error)}`);
    if (r.report) assert.ok((r.report.allocatedMb as number) < MEMORY_MB, `allocated ${r.report.allocatedMb} MB`);
    else {
      // Killed over the limit (and the call told so); on a slow host the call's own timeout may
      // answer first, and the kill follows.
      assert.ok(['UPSTREAM_UNAVAILABLE', 'REQUEST_TIMEOUT'].includes(String(r.error?.data?.reason)), JSON.stringify(r.error));
      await eventually(() => spawns() > before, 'the server is restarted after the memory bomb');
    }
    const over = gw.audit().find((e) => e.event === 'sandbox_memory_exceeded');
    if (over) t.diagnostic(`watchdog: ${over.reason}`);
    await eventually(echo, 'the server answers after the memory bomb');
  });

  test('exceeding the timeout: the client gets -32001 at once, the stuck server is killed and restarted', async () => {
    const before = spawns();
    const r = await call(client, 'hang');
    assert.equal(r.error?.code, -32001, JSON.stringify(r));
    assert.equal(r.error?.data?.reason, 'REQUEST_TIMEOUT');
    const killed = await eventually(() => gw.audit().find((e) => e.event === 'sandbox_killed' && /ping/.test(String(e.reason))), 'sandbox_killed for the unresponsive server');
    assert.equal(killed.server, 'hostile');
    await eventually(echo, 'a fresh server answers');
    assert.equal(spawns(), before + 1, 'restarted once');
  });

  test('printing a gigabyte: the call fails with RESULT_TOO_LARGE, the server is stopped at maxOutputBytes and restarted', async (t) => {
    const before = spawns();
    const r = await call(client, 'print_gigabyte');
    assert.equal(r.error?.code, -32014, JSON.stringify(r));
    assert.equal(r.error?.data?.reason, 'RESULT_TOO_LARGE');
    const killed = await eventually(() => gw.audit().find((e) => e.event === 'sandbox_killed' && /still writing one message/.test(String(e.reason))), 'sandbox_killed for runaway output');
    const bytes = Number(/after (\d+) bytes/.exec(String(killed.reason))?.[1]);
    t.diagnostic(`killed after ${bytes} bytes of a 1 GiB message`);
    assert.ok(bytes > 16777216 && bytes < 1024 * 1024 * 1024, `stopped after ${bytes} bytes, not a gigabyte`);
    await eventually(echo, 'a fresh server answers');
    assert.ok(spawns() > before);
  });

  test("printing a gigabyte to stderr: the gateway's log takes 256 KiB of it, and the server keeps answering", async () => {
    const logged = gw.stderr().length;
    assert.equal(((await call(client, 'print_gigabyte_stderr')).report as { started: boolean }).started, true);
    const done = `${spawnLog}.stderr-done`;
    assert.ok(await echo(), 'answers while it floods');
    await eventually(() => existsSync(done), 'the whole gigabyte was written (the gateway read it all)', 120_000);
    assert.equal(readFileSync(done, 'utf8'), String(1024 ** 3));
    const grown = gw.stderr().length - logged;
    assert.ok(grown < 2 * 1024 * 1024, `the gateway logged ${grown} bytes`);
    assert.match(gw.stderr(), /stderr over 262144 bytes this minute/);
  });

  test('the gateway stayed up and healthy throughout; no crash loop', async () => {
    assert.equal(gw.proc.exitCode, null);
    assert.ok(await echo());
    assert.ok(!gw.audit().some((e) => e.event === 'sandbox_crash_loop'));
  });
});
