/**
 * The requests waiting for a server's answer share one timer (src/upstream/pending-requests.ts):
 * each must still time out at its own deadline and never before it, whatever was added before or
 * after it, never once answered, and an idle set must not keep the process alive.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { PendingRequests } from '../../src/upstream/pending-requests.ts';

function track(p: PendingRequests, id: number, ms: number, fired: Array<{ id: number; late: number }>, answers: unknown[]) {
  const deadline = performance.now() + ms;
  p.add(id, {
    resolve: (r) => answers.push(r),
    reject: () => assert.fail(`request ${id} rejected`),
    deadline,
    onTimeout: () => fired.push({ id, late: performance.now() - deadline }),
    method: 'tools/call',
  });
}

test('each request times out at its own deadline, never before it, in deadline order', async () => {
  const p = new PendingRequests();
  const fired: Array<{ id: number; late: number }> = [];
  const answers: unknown[] = [];
  track(p, 1, 120, fired, answers); // a long one first: the timer is set for it
  track(p, 2, 40, fired, answers); // a shorter one after it must not wait for it
  track(p, 3, 80, fired, answers);
  track(p, 4, 60, fired, answers);
  assert.equal(p.resolve(4, { msg: { jsonrpc: '2.0', id: 4, result: {} }, bytes: Buffer.alloc(0) } as never), true);
  while (p.size) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fired.map((f) => f.id), [2, 3, 1], 'the answered one never times out; the rest by deadline');
  for (const f of fired) assert.ok(f.late >= 0, `request ${f.id} timed out ${-f.late} ms early`);
  assert.equal(answers.length, 1);
  assert.equal(p.resolve(2, {} as never), false, 'a timed-out request is gone');
});

test('a failed or dropped request is gone and does not time out later', async () => {
  const p = new PendingRequests();
  const fired: Array<{ id: number; late: number }> = [];
  track(p, 1, 30, fired, []);
  let rejected: GatewayError | undefined;
  p.add(2, { resolve: () => {}, reject: (e) => (rejected = e), deadline: performance.now() + 30, onTimeout: () => assert.fail('2 timed out'), method: 'ping' });
  p.fail(2, new GatewayError('CANCELLED', 'Request cancelled'));
  assert.equal(rejected?.code, 'CANCELLED');
  assert.equal(p.drop(1), true);
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(fired, []);
});

test('nothing in flight: the shared timer does not keep the process alive', () => {
  const script = `
    import { PendingRequests } from ${JSON.stringify(new URL('../../src/upstream/pending-requests.ts', import.meta.url).href)};
    const p = new PendingRequests();
    p.add(1, { resolve() {}, reject() {}, deadline: performance.now() + 600000, onTimeout() {}, method: 'x' });
    p.resolve(1, {});
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
  assert.equal(r.error, undefined, 'the process did not exit on its own');
  assert.equal(r.status, 0, r.stderr.toString());
});
