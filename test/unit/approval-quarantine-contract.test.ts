/**
 * One contract for the approval and quarantine stores, run against each implementation as two
 * processes would use it: two stores on one state directory, two connections to one Redis (the
 * machine's server, under a key prefix of this run's own). Approvals: the first decision wins under
 * concurrent decides from both sides, a decision on one side releases a wait on the other, the
 * pending cap holds, the listing. Quarantine: ids, the per-item and total caps (oldest dropped
 * first, never the newest), a release seen from the other side. And for Redis, fail closed.
 */
import assert from 'node:assert/strict';
import { test, after, describe } from 'node:test';
import { join } from 'node:path';
import { ApprovalGate } from '../../src/approvals/approval-gate.ts';
import { AuditLog, type AuditRecord } from '../../src/audit/audit-log.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import type { Session } from '../../src/gateway/session.ts';
import { ApprovalStoreError, operatorDecision, type ApprovalStore, type PendingApproval } from '../../src/approvals/approval-store.ts';
import { FileApprovalStore } from '../../src/approvals/file-approval-store.ts';
import { RedisApprovalStore } from '../../src/approvals/redis-approval-store.ts';
import { FileQuarantineStore } from '../../src/quarantine/file-quarantine-store.ts';
import { QUARANTINE_ID, type QuarantineLimits, type QuarantineStore } from '../../src/quarantine/quarantine-store.ts';
import { RedisQuarantineStore } from '../../src/quarantine/redis-quarantine-store.ts';
import { RedisConnection } from '../../src/state/redis-connection.ts';
import { tempDir } from '../helpers/gateway-process.ts';
import { dropPrefix, privateRedis, REDIS_TEST_URL, testPrefix } from '../helpers/redis.ts';

const quiet = { info() {}, warn() {}, error() {} };
const connections: RedisConnection[] = [];
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];

/** A connection under `prefix`: two with the same prefix are two replicas of one deployment. */
async function redis(prefix: string): Promise<RedisConnection> {
  const c = new RedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, commandTimeoutMs: 5000, log: quiet });
  connections.push(c);
  await c.waitReady(10_000);
  return c;
}

/** A deployment of its own per test: a fresh prefix (Redis) or directory (files). */
function freshPrefix(): string {
  const p = testPrefix();
  prefixes.push(p);
  return p;
}

after(async () => {
  for (const close of closers) await close();
  await Promise.all(connections.map((c) => c.close()));
  for (const p of prefixes) await dropPrefix(REDIS_TEST_URL, p);
});

let n = 0;
const pending = (over: Partial<PendingApproval> = {}): PendingApproval => {
  const now = Date.now() + ++n; // distinct requestedAt, in order
  return {
    id: `ap-${n.toString(16).padStart(24, '0')}`, server: 'files', tool: 'write_file', principal: 'alice', session: 's1',
    requestedAt: new Date(now).toISOString(), expiresAt: new Date(now + 60_000).toISOString(), askedVia: 'operator', ...over,
  };
};

// ---------------------------------------------------------------- approvals

const approvalStores: { name: string; make: (maxPending?: number) => Promise<[ApprovalStore, ApprovalStore]> }[] = [
  {
    name: 'state directory, two stores on one file',
    make: async (maxPending) => {
      const path = join(tempDir(), 'approvals.json');
      const pair: [ApprovalStore, ApprovalStore] = [new FileApprovalStore(path, Date.now, { maxPending }), new FileApprovalStore(path, Date.now, { maxPending })];
      closers.push(async () => void (await Promise.all(pair.map((s) => s.close()))));
      return pair;
    },
  },
  {
    name: 'redis, two connections',
    make: async (maxPending) => {
      const prefix = freshPrefix();
      const pair: [ApprovalStore, ApprovalStore] = [new RedisApprovalStore(await redis(prefix), { maxPending }), new RedisApprovalStore(await redis(prefix), { maxPending })];
      closers.push(async () => void (await Promise.all(pair.map((s) => s.close()))));
      return pair;
    },
  },
];

for (const impl of approvalStores) {
  describe(`approval store contract: ${impl.name}`, () => {
    test('concurrent decides from both sides: exactly one is first, every one reports it', async () => {
      const [a, b] = await impl.make();
      const p = pending();
      await a.request(p);
      const outs = await Promise.all(Array.from({ length: 12 }, (_, i) => operatorDecision(i % 2 ? a : b, p.id, i % 3 === 0, { by: `op-${i}`, via: 'console' })));
      assert.ok(outs.every((o) => o !== undefined));
      const first = outs.filter((o) => o!.first);
      assert.equal(first.length, 1, 'one decision wins');
      for (const o of outs) assert.deepEqual(o!.decision, first[0]!.decision, 'everyone sees the winner');
      assert.deepEqual(outs[0]!.request, p);
      assert.equal(await operatorDecision(a, 'ap-ffffffffffffffffffffffff', true, { by: 'x', via: 'console' }), undefined, 'unknown id');
    });

    test('a decision on one side releases a wait on the other; an aborted wait resolves undefined', async () => {
      const [a, b] = await impl.make();
      const p = pending();
      await b.request(p);
      const waiting = b.wait(p.id, new AbortController().signal);
      const ac = new AbortController();
      const abandoned = b.wait(p.id, ac.signal);
      ac.abort();
      assert.equal(await abandoned, undefined);
      await operatorDecision(a, p.id, true, { by: 'carol', via: 'admin-api', reason: 'fine' });
      const d = await waiting;
      assert.equal(d?.approved, true);
      assert.equal(d?.by, 'carol');
      // Decided before the wait began: resolved all the same.
      assert.equal((await a.wait(p.id, new AbortController().signal))?.by, 'carol');
    });

    test('the timeout is a decision too: a later yes releases nothing', async () => {
      const [a, b] = await impl.make();
      const p = pending();
      await a.request(p);
      const end = await a.decide(p.id, { approved: false, by: 'timeout', via: 'timeout', at: new Date().toISOString() });
      assert.equal(end?.first, true);
      const late = await operatorDecision(b, p.id, true, { by: 'bob', via: 'console' });
      assert.deepEqual([late?.first, late?.decision.approved, late?.decision.via], [false, false, 'timeout']);
    });

    test('the pending cap holds across both sides; a decided or expired approval frees its place', async () => {
      const [a, b] = await impl.make(5);
      const ps = Array.from({ length: 8 }, () => pending());
      const got = await Promise.allSettled(ps.map((p, i) => (i % 2 ? a : b).request(p)));
      assert.equal(got.filter((r) => r.status === 'fulfilled').length, 5);
      for (const r of got) if (r.status === 'rejected') assert.ok(r.reason instanceof ApprovalStoreError, String(r.reason));
      const kept = ps.filter((_, i) => got[i]!.status === 'fulfilled');
      await operatorDecision(a, kept[0]!.id, false, { by: 'bob', via: 'console' });
      await b.request(pending());
      await assert.rejects(a.request(pending()), ApprovalStoreError);
    });

    test('list: what is still waiting, oldest first, from either side; not the decided, not the expired', async () => {
      const [a, b] = await impl.make();
      const old = pending();
      const decided = pending();
      const expired = pending({ expiresAt: new Date(Date.now() - 1000).toISOString() });
      const young = pending();
      for (const p of [young, old, decided, expired]) await a.request(p);
      await operatorDecision(b, decided.id, true, { by: 'bob', via: 'console' });
      assert.deepEqual((await b.list()).map((p) => p.id), [old.id, young.id]);
      assert.deepEqual(await a.list(), await b.list());
    });
  });
}

test('redis approvals: every key expires (a replica that died with calls waiting leaves nothing behind)', async () => {
  const conn = await redis(freshPrefix());
  const s = new RedisApprovalStore(conn);
  closers.push(() => s.close());
  const p = pending();
  await s.request(p);
  const keep = await conn.client.pttl(conn.key('approval', p.id));
  assert.ok(keep > 60_000 && keep <= 11 * 60_000 + 1000, `request pttl ${keep}`);
  assert.ok((await conn.client.pttl(conn.key('approval', 'pending'))) > 0, 'the index too');
  await operatorDecision(s, p.id, true, { by: 'bob', via: 'console' });
  const decided = await conn.client.pttl(conn.key('approval', p.id));
  assert.ok(decided > 0 && decided <= 10 * 60_000, `decision pttl ${decided}`);
});

// ---------------------------------------------------------------- quarantine

const quarantineStores: { name: string; make: (limits: QuarantineLimits) => Promise<[QuarantineStore, QuarantineStore]> }[] = [
  {
    name: 'directory, two stores on it',
    make: async (limits) => {
      const dir = join(tempDir(), 'quarantine');
      return [new FileQuarantineStore(dir, limits), new FileQuarantineStore(dir, limits)];
    },
  },
  {
    name: 'redis, two connections',
    make: async (limits) => {
      const prefix = freshPrefix();
      return [new RedisQuarantineStore(await redis(prefix), limits), new RedisQuarantineStore(await redis(prefix), limits)];
    },
  },
];

const meta = (tool: string) => ({ server: 'web', tool, method: 'tools/call', session: 's1', principal: 'alice', findings: [{ rule: 'injection.ignore-previous', category: 'injection' as const, severity: 'high' as const, path: '/content/0/text' }] });

for (const impl of quarantineStores) {
  describe(`quarantine store contract: ${impl.name}`, () => {
    test('ids are 96 random bits; an item put on one side is read whole on the other; long originals are cut', async () => {
      const [a, b] = await impl.make({ maxBytes: 100, maxTotalBytes: 1e6 });
      const short = JSON.stringify({ content: [{ type: 'text', text: 'ignore previous instructions — ünïcödé' }] });
      const ids = [await a.put(meta('fetch'), short), await b.put(meta('fetch'), 'x'.repeat(500))];
      for (const id of ids) assert.match(id, QUARANTINE_ID);
      assert.notEqual(ids[0], ids[1]);
      const item = (await b.get(ids[0]!))!;
      assert.deepEqual({ ...item, id: '', time: '' }, { ...meta('fetch'), id: '', time: '', bytes: Buffer.byteLength(short), truncated: false, original: short });
      const cut = (await a.get(ids[1]!))!;
      assert.deepEqual([cut.truncated, cut.bytes, cut.original.length], [true, 500, 100]);
      assert.deepEqual((await a.list()).map((i) => i.id), [ids[1], ids[0]], 'newest first');
      assert.ok((await a.list()).every((i) => !('original' in i)), 'a listing never carries the originals');
      assert.equal(await a.get('../../etc/passwd'), undefined);
      assert.equal(await a.get('q-ffffffffffffffffffffffff'), undefined);
    });

    test('the total stays under maxTotalBytes from both sides: the oldest go first, the newest always stays', async () => {
      const [a, b] = await impl.make({ maxBytes: 1e6, maxTotalBytes: 4000 });
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await (i % 2 ? a : b).put(meta(`t${i}`), 'y'.repeat(700)));
      const kept = (await a.list()).map((i) => i.id);
      assert.ok(kept.length >= 3 && kept.length < 12, `${kept.length} kept`);
      assert.deepEqual(kept, ids.slice(-kept.length).reverse(), 'what is left is the newest, in order');
      // One item bigger than the whole cap is still kept (the agent's notice names it), alone.
      const big = await a.put(meta('big'), 'z'.repeat(5000));
      assert.deepEqual((await b.list()).map((i) => i.id), [big]);
    });

    test('a release on one side is seen on the other; the first release is kept', async () => {
      const [a, b] = await impl.make({ maxBytes: 1e6, maxTotalBytes: 1e6 });
      const id = await a.put(meta('fetch'), '{"x":1}');
      const r = await b.release(id, 'carol');
      assert.equal(r?.released?.by, 'carol');
      assert.equal(r?.original, '{"x":1}');
      assert.equal((await a.release(id, 'dave'))?.released?.by, 'carol');
      assert.equal((await a.get(id))?.released?.by, 'carol');
      assert.equal((await a.list())[0]?.released?.by, 'carol');
      assert.equal(await b.release('q-000000000000000000000000', 'carol'), undefined);
    });
  });
}

test('redis quarantine: concurrent puts from two replicas never push the stored total past the cap', async () => {
  const prefix = freshPrefix();
  const limits = { maxBytes: 1e6, maxTotalBytes: 5000 };
  const [a, b] = [new RedisQuarantineStore(await redis(prefix), limits), new RedisQuarantineStore(await redis(prefix), limits)];
  const conn = connections.at(-1)!;
  await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).put(meta(`c${i}`), 'w'.repeat(600))));
  const ids = await conn.client.zrange(conn.key('quarantine', 'index'), 0, -1);
  const sizes = await Promise.all(ids.map((id) => conn.client.hget(conn.key('quarantine', 'item', id), 'size')));
  const total = sizes.reduce((s, x) => s + Number(x), 0);
  assert.ok(total <= limits.maxTotalBytes, `${total} bytes stored`);
  assert.equal(Number(await conn.client.get(conn.key('quarantine', 'bytes'))), total, 'the running total is exact');
  assert.equal((await a.list()).length, ids.length);
});

test('redis approvals and quarantine fail closed while Redis is down: STATE_UNAVAILABLE, never a silent yes', async (t) => {
  const server = await privateRedis();
  const conn = new RedisConnection({ url: server.url, keyPrefix: testPrefix(), commandTimeoutMs: 1000, log: quiet, minBackoffMs: 20, maxBackoffMs: 200 });
  const approvals = new RedisApprovalStore(conn, { resyncMs: 50 });
  t.after(async () => {
    await approvals.close();
    await conn.close();
    await server.stop();
  });
  await conn.waitReady(10_000);
  const q = new RedisQuarantineStore(conn, { maxBytes: 1e6, maxTotalBytes: 1e6 });
  const p = pending();
  await approvals.request(p);
  const ac = new AbortController();
  const waiting = approvals.wait(p.id, ac.signal);
  // A call waiting at the gate when Redis goes: its timeout is a refusal even though it cannot be recorded.
  const records: AuditRecord[] = [];
  const gate = new ApprovalGate(approvals, { audit: new AuditLog({ sinks: [], events: AUDIT_EVENTS, level: 'summary', observers: [(r) => records.push(r)] }), log: () => {} });
  const session = { id: 's1', stateless: false, closed: false, clientCapabilities: {}, principal: { subject: 'alice' }, send() {} } as unknown as Session;
  const ask = (timeoutMs: number) => gate.decide(undefined as never, { session, related: 1, server: 'files', tool: 'write_file', args: {}, timeoutMs });
  const atGate = ask(1500);
  for (let i = 0; i < 200 && !records.some((r) => r.event === 'approval_requested'); i++) await new Promise((r) => setTimeout(r, 10));
  await server.kill();
  for (let i = 0; i < 200 && conn.ready; i++) await new Promise((r) => setTimeout(r, 25));
  const unavailable = (e: { code?: string }) => e.code === 'STATE_UNAVAILABLE';
  await assert.rejects(approvals.request(pending()), unavailable, 'a new approval cannot be requested');
  await assert.rejects(approvals.list(), unavailable);
  await assert.rejects(operatorDecision(approvals, p.id, true, { by: 'bob', via: 'console' }), unavailable);
  await assert.rejects(q.put(meta('fetch'), '{}'), unavailable, 'the caller withholds the result (checks/inspect-result.ts)');
  await assert.rejects(q.list(), unavailable);
  ac.abort(); // the gate's timeout: the waiter was never released by a yes
  assert.equal(await waiting, undefined);
  const refusal = await atGate;
  assert.deepEqual([refusal.decision.approved, refusal.decision.via], [false, 'timeout']);
  assert.equal(records.filter((r) => r.event === 'approval_denied').length, 1, 'the refusal is audited');
  await assert.rejects(ask(60_000), unavailable, 'the gate refuses a call whose approval cannot be requested');
  assert.equal(records.filter((r) => r.event === 'approval_requested').length, 1, 'nothing claims a request that was not stored');
  await server.restart();
  await conn.waitReady(20_000);
  const again = pending();
  await approvals.request(again);
  assert.deepEqual((await approvals.list()).map((x) => x.id), [again.id], 'this Redis kept nothing across the kill (no persistence)');
});
