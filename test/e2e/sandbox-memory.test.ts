/**
 * `memoryLimit: 256m` on a host without a delegated cgroup v2 memory controller (this one, most
 * containers and CI runners), with servers run by the bundled Node 24. Under the old RLIMIT_DATA
 * fallback Node died at start ("Failed to reserve virtual memory for CodeRange") and every call
 * got -32012. Now the memory watchdog enforces the limit by what the sandbox really uses: a real
 * npm server (server-everything) starts and answers, and a memory bomb is still stopped, audited,
 * and its call told why.
 */
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ROOT, type RunningGateway } from '../helpers/gateway-process.ts';
import { call, eventually, FIXTURE_DIR, HOSTILE, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

// The real directory: a symlinked node_modules would be bound at its link path only.
const NODE_MODULES = realpathSync(join(ROOT, 'node_modules'));
const LIMIT = 256 * 1024 ** 2;

describe('memoryLimit 256m with Node 24 servers (bubblewrap)', () => {
  let env: SandboxGateway;
  let gw: RunningGateway;
  let client: Client;
  let watchdog = false;

  before(async () => {
    env = await sandboxGateway(
      `    - { name: everything, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }
    - { name: hostile, command: "\${NODE}", args: [${JSON.stringify(HOSTILE)}] }`,
      `      enabled: true
      memoryLimit: 256m
      allowedPaths: [${FIXTURE_DIR}, ${NODE_MODULES}]`,
    );
    ({ gw, client } = env);
  });
  after(() => env?.stop());

  test('server-everything starts under 256m and answers', async () => {
    const r = await client.callTool({ name: 'everything__echo', arguments: { message: 'under 256m' } });
    assert.match(JSON.stringify(r.content), /under 256m/);
    const started = gw.audit().find((e) => e.event === 'sandbox_started' && e.server === 'everything');
    const memory = (started?.detail as { limits: { memory: string } }).limits.memory;
    assert.match(memory, /^256m \((cgroup v2 memory\.max|watchdog: PSS)/, memory);
    watchdog = /watchdog/.test(memory);
  });

  test('a memory bomb is stopped: the call is told why, the kill is audited, the server comes back', async () => {
    const r = await call(client, 'hostile__memory_bomb', { maxMb: 8192 });
    if (r.report) assert.ok((r.report.allocatedMb as number) < 256, `allocated ${r.report.allocatedMb} MB`);
    else {
      assert.equal(r.error?.code, -32012, JSON.stringify(r.error));
      assert.equal(r.error?.data?.reason, 'UPSTREAM_UNAVAILABLE');
    }
    if (watchdog) {
      assert.match(r.error?.message ?? '', /exceeded its memory limit \(256m\)/);
      const over = await eventually(() => gw.audit().find((e) => e.event === 'sandbox_memory_exceeded' && e.server === 'hostile'), 'sandbox_memory_exceeded');
      const d = over.detail as { usedBytes: number; limitBytes: number; processes: number; mechanism: string };
      assert.equal(d.limitBytes, LIMIT);
      assert.ok(d.usedBytes > LIMIT && d.processes >= 1 && d.mechanism === 'watchdog', JSON.stringify(d));
      assert.ok(gw.audit().some((e) => e.event === 'sandbox_killed' && e.server === 'hostile' && /memory limit exceeded/.test(String(e.reason))));
    }
    await eventually(async () => ((await call(client, 'hostile__echo', { text: 'back' })).report as { echo?: string } | undefined)?.echo === 'back', 'the server answers again');
    // The other sandbox was not touched.
    assert.match(JSON.stringify((await client.callTool({ name: 'everything__echo', arguments: { message: 'still' } })).content), /still/);
  });
});
