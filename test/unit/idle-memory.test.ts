/**
 * The idle memory reducer (src/monitor/idle-memory.ts): when it runs V8's last-resort GC and when
 * it leaves the process alone. Its readers (event-loop utilization, RSS) and the GC are given, so
 * each decision is checked exactly; the real GC is checked at the end in this process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { startIdleMemoryReducer } from '../../src/monitor/idle-memory.ts';

const MiB = 1024 * 1024;

function harness() {
  const h = { rss: 200 * MiB, busy: 0, gcs: [] as unknown[], logs: [] as string[] };
  const reducer = startIdleMemoryReducer({
    everyMs: 3_600_000, // looks only when the test says check()
    growthBytes: 32 * MiB,
    gc: (opts) => {
      h.gcs.push(opts);
      h.rss -= 60 * MiB; // what the pooled pages were
    },
    rss: () => h.rss,
    utilization: (since?: EventLoopUtilization) => ({ idle: 0, active: 0, utilization: since ? h.busy : 0 }),
    log: (m) => h.logs.push(m),
  })!;
  return { h, reducer };
}

test('idle after growth: one last-resort GC; the level it leaves is the new floor', () => {
  const { h, reducer } = harness();
  try {
    h.rss += 100 * MiB;
    reducer.check();
    assert.deepEqual(h.gcs, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
    assert.equal(reducer.reductions, 1);
    assert.match(h.logs.at(-1)!, /RSS 300\.0 -> 240\.0 MiB/);
    // 240 MiB is live now: no second GC until RSS grows by another 32 MiB above it.
    reducer.check();
    h.rss += 20 * MiB;
    reducer.check();
    assert.equal(h.gcs.length, 1);
    h.rss += 20 * MiB;
    reducer.check();
    assert.equal(h.gcs.length, 2);
  } finally {
    reducer.stop();
  }
});

test('a busy event loop is never interrupted, however much RSS grew', () => {
  const { h, reducer } = harness();
  try {
    h.rss += 500 * MiB;
    h.busy = 0.5;
    reducer.check();
    h.busy = 0.02; // the threshold itself counts as busy
    reducer.check();
    assert.equal(h.gcs.length, 0);
    h.busy = 0.001;
    reducer.check();
    assert.equal(h.gcs.length, 1);
  } finally {
    reducer.stop();
  }
});

test('growth below the step: nothing to give back worth a pause', () => {
  const { h, reducer } = harness();
  try {
    h.rss += 31 * MiB;
    reducer.check();
    assert.equal(h.gcs.length, 0);
  } finally {
    reducer.stop();
  }
});

test('a GC that throws is logged, not thrown, and not counted', () => {
  const reducer = startIdleMemoryReducer({
    everyMs: 3_600_000,
    growthBytes: 0,
    gc: () => {
      throw new Error('nope');
    },
    rss: () => 1,
    utilization: () => ({ idle: 0, active: 0, utilization: 0 }),
    log: (m) => logs.push(m),
  })!;
  const logs: string[] = [];
  reducer.check();
  reducer.stop();
  assert.equal(reducer.reductions, 0);
  assert.match(logs.join('\n'), /gc failed: nope/);
});

test("without V8's gc (no --expose-gc) it does not start, and says why", { skip: typeof (globalThis as { gc?: unknown }).gc === 'function' && 'this process has gc exposed' }, () => {
  const logs: string[] = [];
  assert.equal(startIdleMemoryReducer({ log: (m) => logs.push(m) }), undefined);
  assert.match(logs[0]!, /--expose-gc/);
});

test("V8's last-resort GC, with the options the reducer passes, gives back pages an ordinary full GC keeps", async () => {
  // A child with --expose-gc (the flag the launcher gives `run`): a burst of objects, dropped; an
  // ordinary full GC leaves RSS at the burst's level, the last-resort one returns the pooled pages.
  const { spawnSync } = await import('node:child_process');
  const script = [
    'let keep = [];',
    'for (let i = 0; i < 40; i++) { const a = []; for (let j = 0; j < 50000; j++) a.push({ i, j, s: "x" + j }); keep.push(a); }',
    'keep = null;',
    'globalThis.gc();',
    'const regular = process.memoryUsage.rss();',
    "globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });",
    'console.log(JSON.stringify({ regular, last: process.memoryUsage.rss() }));',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const { regular, last } = JSON.parse(r.stdout) as { regular: number; last: number };
  assert.ok(regular - last > 50 * MiB, `RSS after an ordinary full GC ${(regular / MiB).toFixed(0)} MiB, after the last-resort one ${(last / MiB).toFixed(0)} MiB`);
});
