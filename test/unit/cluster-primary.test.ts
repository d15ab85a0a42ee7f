/**
 * The primary of `run --workers N` (src/cluster/primary.ts) with real forked workers: a stand-in
 * worker script (test/fixtures/cluster/worker.cjs) that speaks the protocol and then serves,
 * crashes, fails to start or ignores the drain. The gateway as a worker is test/e2e/workers.test.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPrimary, type PrimaryOptions } from '../../src/cluster/primary.ts';
import { RestartPolicy } from '../../src/cluster/restart-policy.ts';
import { ROOT } from '../helpers/gateway-process.ts';

const WORKER = join(ROOT, 'test', 'fixtures', 'cluster', 'worker.cjs');

function primary(mode: string, extra: Partial<PrimaryOptions> = {}) {
  const lines: string[] = [];
  let banner = '';
  const done = runPrimary({
    count: 2,
    drainMs: 2000,
    log: (l) => lines.push(l),
    banner: (url, servers) => {
      banner = `listening on ${url} (${servers.join(',')})`;
      return '';
    },
    exec: { file: WORKER, args: [mode] },
    policy: new RestartPolicy({ maxCrashes: 3, firstDelayMs: 10, maxDelayMs: 40 }),
    ...extra,
  });
  return { done, lines, banner: () => banner };
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  for (const t0 = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
}

test('workers that listen: one banner; SIGTERM drains them and the primary ends with 0', async () => {
  const p = primary('serve');
  await until('the banner', () => p.banner() !== '');
  assert.equal(p.banner(), 'listening on http://127.0.0.1:1/mcp (s)');
  process.emit('SIGTERM');
  assert.equal(await p.done, 0);
  assert.ok(p.lines.some((l) => /SIGTERM: draining 2 worker\(s\)/.test(l)), p.lines.join('\n'));
});

test('workers that keep dying are restarted with back-off, then the primary gives up with 1', async () => {
  // One worker: started as soon as it listens, so its deaths are crashes, not a failed start.
  const p = primary('crash', { count: 1 });
  assert.equal(await p.done, 1);
  assert.ok(p.lines.filter((l) => /exited with code 3: restarting it in \d+ ms/.test(l)).length >= 3, p.lines.join('\n'));
  assert.ok(p.lines.some((l) => /restarting is not helping, stopping/.test(l)), p.lines.join('\n'));
});

test('a worker that fails to start stops the start with 1 and is not restarted', async () => {
  const p = primary('fail-start');
  assert.equal(await p.done, 1);
  assert.ok(p.lines.some((l) => /exited with code 1 before it was serving: stopping/.test(l)), p.lines.join('\n'));
  assert.ok(!p.lines.some((l) => /restarting it/.test(l)));
  assert.equal(p.banner(), '');
});

test('a worker that outlives the drain is killed and the exit code says so', async () => {
  const p = primary('stubborn', { drainMs: 300 });
  await until('the banner', () => p.banner() !== '');
  process.emit('SIGTERM');
  assert.equal(await p.done, 1);
  assert.ok(p.lines.some((l) => /still running after 300 ms: killed/.test(l)), p.lines.join('\n'));
});
