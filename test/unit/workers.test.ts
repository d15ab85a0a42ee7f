/**
 * `run --workers N`: the setting (flag and `mcp.listen.workers`), the refusal of several workers
 * without shared state, the worker's identity from its environment, and the primary's restart policy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartPolicy } from '../../src/cluster/restart-policy.ts';
import { workerIdentity } from '../../src/cluster/worker.ts';
import { ConfigError, loadConfigText } from '../../src/config/load.ts';
import { MAX_WORKERS, parseWorkersFlag, resolveWorkers, workersProblems } from '../../src/config/workers-schema.ts';

const SERVERS = 'mcp:\n  servers: [{ name: a, url: "http://127.0.0.1:1/mcp" }]\n';

test('--workers takes 1..256 or auto, nothing else', () => {
  assert.equal(parseWorkersFlag('1'), 1);
  assert.equal(parseWorkersFlag('16'), 16);
  assert.equal(parseWorkersFlag(String(MAX_WORKERS)), MAX_WORKERS);
  assert.equal(parseWorkersFlag('auto'), 'auto');
  for (const bad of ['0', '-1', '257', '1.5', '2x', '', ' 2', 'AUTO', '0x10', '1e1']) assert.equal(parseWorkersFlag(bad), undefined, bad);
});

test('auto is the available parallelism, at least 1 and at most the maximum', () => {
  assert.equal(resolveWorkers('auto', 16), 16);
  assert.equal(resolveWorkers('auto', 0), 1);
  assert.equal(resolveWorkers('auto', 10_000), MAX_WORKERS);
  assert.equal(resolveWorkers(3, 16), 3);
});

test('mcp.listen.workers: default 1; a number or auto; anything else names the key', () => {
  assert.equal(loadConfigText(SERVERS).config.mcp.listen.workers, 1);
  const shared = 'mcp:\n  state: { url: "redis://127.0.0.1:6379/0" }\n  listen: { workers: WORKERS }\n';
  assert.equal(loadConfigText(shared.replace('WORKERS', '4')).config.mcp.listen.workers, 4);
  assert.equal(loadConfigText(shared.replace('WORKERS', 'auto')).config.mcp.listen.workers, 'auto');
  for (const bad of ['0', '2.5', '"4"', 'all', String(MAX_WORKERS + 1)]) {
    assert.throws(() => loadConfigText(shared.replace('WORKERS', bad)), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.path === 'mcp.listen.workers'), bad);
  }
});

test('several workers without mcp.state.url: refused at load with the key, the line and the fix', () => {
  for (const w of ['2', 'auto']) {
    const err = (() => {
      try {
        loadConfigText(`mcp:\n  listen:\n    workers: ${w}\n`);
      } catch (e) {
        return e as ConfigError;
      }
      return assert.fail('loaded');
    })();
    assert.ok(err instanceof ConfigError);
    const p = err.problems.find((x) => x.path === 'mcp.listen.workers');
    assert.ok(p, err.message);
    assert.equal(p.line, 3);
    assert.match(p.message, /mcp\.state\.url is not set/);
    assert.match(p.fix, /set mcp\.state\.url .*\(remove mcp\.listen\.workers\)/);
  }
  assert.equal(loadConfigText('mcp:\n  listen: { workers: 1 }\n').config.mcp.listen.workers, 1);
});

test('workersProblems: one worker or shared state is fine; the flag is named when it asked', () => {
  assert.deepEqual(workersProblems(1, undefined), []);
  assert.deepEqual(workersProblems(8, 'redis://r:6379/0'), []);
  assert.deepEqual(workersProblems('auto', 'redis://r:6379/0'), []);
  const [p] = workersProblems(2, undefined, '--workers 2');
  assert.equal(p.path, 'mcp.listen.workers');
  assert.match(p.message, /^--workers 2 asks for 2 workers but mcp\.state\.url is not set/);
  assert.match(p.fix, /--workers 1/);
});

test('a worker knows its slot only when forked by the primary', () => {
  // This test process is no cluster worker: the environment alone does not make it one.
  assert.equal(workerIdentity({ PORTCULLIS_WORKER_INDEX: '0', PORTCULLIS_WORKER_COUNT: '2' }), undefined);
});

test('restart policy: doubling back-off, capped; more than maxCrashes in the window gives up', () => {
  const p = new RestartPolicy({ maxCrashes: 4, windowMs: 60_000, firstDelayMs: 250, maxDelayMs: 1000 });
  const t = 1_000_000;
  assert.deepEqual(p.crashed(t), { restart: true, delayMs: 250, recent: 1 });
  assert.deepEqual(p.crashed(t + 1), { restart: true, delayMs: 500, recent: 2 });
  assert.deepEqual(p.crashed(t + 2), { restart: true, delayMs: 1000, recent: 3 });
  assert.deepEqual(p.crashed(t + 3), { restart: true, delayMs: 1000, recent: 4 });
  assert.deepEqual(p.crashed(t + 4), { restart: false, recent: 5 });
});

test('restart policy: deaths older than the window are forgotten', () => {
  const p = new RestartPolicy({ maxCrashes: 2, windowMs: 10_000 });
  assert.equal(p.crashed(0).restart, true);
  assert.equal(p.crashed(1000).restart, true);
  // The first two are more than 10 s old: this one is the first of a new window.
  assert.deepEqual(p.crashed(12_000), { restart: true, delayMs: 250, recent: 1 });
  assert.equal(p.crashed(12_001).restart, true);
  assert.equal(p.crashed(12_002).restart, false);
});
