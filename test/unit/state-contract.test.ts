/**
 * One contract for every state store (rate-limit buckets, quotas, flow taint, alert windows), run
 * against each implementation: in memory, SQLite (quotas) and Redis (the machine's server, under a key prefix of this run's own). Atomicity under
 * concurrency, the same answers as the pure functions (policy/token-bucket.ts, policy/quota.ts),
 * TTL, caps where a store has one; and for Redis, fail closed while it is down.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FlowTracker, type FlowStore } from '../../src/policy/flow-rules.ts';
import { consumeQuota, type QuotaLimit, type QuotaState } from '../../src/policy/quota.ts';
import { bucketTtlMs, takeToken, type TokenBucketConfig } from '../../src/policy/token-bucket.ts';
import { MemoryAlertWindows, type AlertWindows } from '../../src/monitor/alert-windows.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';
import { RedisAlertWindows } from '../../src/state/redis-alert-windows.ts';
import { MemoryQuotaStore, type QuotaStore } from '../../src/state/quota-store.ts';
import { RedisBucketStore } from '../../src/state/redis-bucket-store.ts';
import { RedisConnection } from '../../src/state/redis-connection.ts';
import { RedisFlowStore } from '../../src/state/redis-flow-store.ts';
import { RedisQuotaStore } from '../../src/state/redis-quota-store.ts';
import { SqliteQuotaStore } from '../../src/state/sqlite-quota-store.ts';
import type { BucketState, StateStore } from '../../src/state/store.ts';
import { dropPrefix, privateRedis, REDIS_TEST_URL, testPrefix } from '../helpers/redis.ts';

const quiet = { info() {}, warn() {}, error() {} };
const prefix = testPrefix();
const connections: RedisConnection[] = [];
const dirs: string[] = [];

async function redis(): Promise<RedisConnection> {
  const c = new RedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, commandTimeoutMs: 5000, log: quiet });
  connections.push(c);
  await c.waitReady(10_000);
  return c;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-state-contract-'));
  dirs.push(d);
  return d;
}

after(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await dropPrefix(REDIS_TEST_URL, prefix);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

let unique = 0;
const fresh = (what: string) => `${what}-${++unique}`;

// ---------------------------------------------------------------- rate-limit buckets

const buckets: { name: string; make: () => Promise<StateStore> }[] = [
  { name: 'memory', make: async () => new MemoryStore({ sweepIntervalMs: 0 }) },
  { name: 'redis', make: async () => new RedisBucketStore(await redis()) },
  // Two replicas: every other call goes through a second connection to the same Redis.
  {
    name: 'redis, two replicas',
    make: async () => {
      const a = new RedisBucketStore(await redis());
      const b = new RedisBucketStore(await redis());
      let n = 0;
      return {
        takeToken: (k, c, now) => (n++ % 2 ? a : b).takeToken(k, c, now),
        takeTokens: (t, now) => (n++ % 2 ? a : b).takeTokens(t, now),
        delete: (k) => a.delete(k),
        close: () => {},
      };
    },
  },
];

const BURST: TokenBucketConfig = { requestsPerMinute: 60, burstSize: 10, cooldownSeconds: 5 };

for (const impl of buckets) {
  describe(`bucket store contract: ${impl.name}`, () => {
    test('concurrent takes on one key spend each token once', async () => {
      const store = await impl.make();
      const key = fresh('burst');
      const now = Date.now();
      const results = await Promise.all(Array.from({ length: 60 }, () => store.takeToken(key, BURST, now)));
      assert.equal(results.filter((r) => r.allowed).length, BURST.burstSize);
      assert.ok(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs > 0));
    });

    test('answers exactly as the pure token bucket: refill, cooldown, a clock stepping back', async () => {
      const store = await impl.make();
      const key = fresh('parity');
      const cfg: TokenBucketConfig = { requestsPerMinute: 30, burstSize: 3, cooldownSeconds: 2 };
      const t0 = 1_800_000_000_000;
      const times = [0, 1, 2, 3, 500, 1999, 2003, 2004, 4100, 4100, 4099, 9000, 9001, 9002, 9003, 60_000].map((d) => t0 + d);
      let state: BucketState | undefined;
      for (const now of times) {
        const want = takeToken(state, cfg, now);
        state = want.state;
        const got = await store.takeToken(key, cfg, now);
        assert.equal(got.allowed, want.allowed, `allowed at +${now - t0}`);
        assert.ok(Math.abs(got.retryAfterMs - want.retryAfterMs) < 1e-6, `retryAfterMs at +${now - t0}: ${got.retryAfterMs} vs ${want.retryAfterMs}`);
      }
    });

    test('several buckets in one step: in order, stopping at the first refusal, atomic under concurrency', async () => {
      const store = await impl.make();
      const now = Date.now();
      const session = { key: fresh('session'), cfg: { requestsPerMinute: 60, burstSize: 100, cooldownSeconds: 0 } };
      const shared = { key: fresh('server'), cfg: { requestsPerMinute: 60, burstSize: 5, cooldownSeconds: 0 } };
      const after = { key: fresh('after'), cfg: { requestsPerMinute: 60, burstSize: 100, cooldownSeconds: 0 } };
      const results = await Promise.all(Array.from({ length: 20 }, () => store.takeTokens([session, shared, after], now)));
      assert.equal(results.filter((r) => r.length === 3 && r.every((x) => x.allowed)).length, 5, 'the shared bucket lets 5 through');
      for (const r of results.filter((x) => !x.every((y) => y.allowed))) {
        assert.equal(r.length, 2, 'stops at the refusing bucket');
        assert.deepEqual([r[0]!.allowed, r[1]!.allowed], [true, false], 'the bucket before it was spent, as separate calls would have');
      }
      // The bucket after the refusing one paid only for the 5 that got through: 95 tokens left.
      const rest = await Promise.all(Array.from({ length: 96 }, () => store.takeToken(after.key, after.cfg, now)));
      assert.equal(rest.filter((r) => r.allowed).length, 95);
      assert.equal((await store.takeTokens([], now)).length, 0);
    });

    test('keys are independent', async () => {
      const store = await impl.make();
      const cfg: TokenBucketConfig = { requestsPerMinute: 1, burstSize: 1, cooldownSeconds: 0 };
      const now = Date.now();
      assert.equal((await store.takeToken(fresh('a'), cfg, now)).allowed, true);
      assert.equal((await store.takeToken(fresh('b'), cfg, now)).allowed, true);
    });
  });
}

test('memory bucket store: forgotten after the TTL, and capped', () => {
  const t = { now: 1_000 };
  const store = new MemoryStore({ sweepIntervalMs: 0, maxEntries: 3, clock: () => t.now });
  const cfg: TokenBucketConfig = { requestsPerMinute: 60_000, burstSize: 2, cooldownSeconds: 0 };
  for (const k of ['a', 'b', 'c', 'd', 'e']) store.takeToken(k, cfg, t.now);
  assert.equal(store.size, 3, 'the cap holds');
  t.now += bucketTtlMs(cfg) + 1;
  store.sweep(t.now);
  assert.equal(store.size, 0, 'expired after the TTL');
});

test('redis bucket store: a bucket carries the TTL after which it equals a fresh one', async () => {
  const conn = await redis();
  const store = new RedisBucketStore(conn);
  const key = fresh('ttl');
  await store.takeToken(key, BURST, Date.now());
  const ttl = await conn.client.pttl(conn.key('rl', key));
  assert.ok(ttl > 0 && ttl <= bucketTtlMs(BURST), `pttl ${ttl}`);
  await store.delete(key);
  assert.equal(await conn.client.exists(conn.key('rl', key)), 0);
});

// ---------------------------------------------------------------- quotas

const T0 = Date.UTC(2026, 11, 7, 10, 30, 0);
const quotas: { name: string; make: () => Promise<QuotaStore> }[] = [
  { name: 'memory', make: async () => new MemoryQuotaStore(() => T0) },
  { name: 'sqlite', make: async () => new SqliteQuotaStore({ path: join(tempDir(), 'quotas.db'), clock: () => T0 }) },
  {
    name: 'sqlite, two processes sharing the file',
    make: async () => {
      const path = join(tempDir(), 'quotas.db');
      const a = new SqliteQuotaStore({ path, clock: () => T0 });
      const b = new SqliteQuotaStore({ path, clock: () => T0 });
      let n = 0;
      return { consumeQuota: (k, l, now, o) => (n++ % 2 ? a : b).consumeQuota(k, l, now, o), close: () => (a.close(), b.close()) };
    },
  },
  { name: 'redis', make: async () => new RedisQuotaStore(await redis()) },
];

for (const impl of quotas) {
  describe(`quota store contract: ${impl.name}`, () => {
    test('concurrent calls are counted once each, up to the limit', async () => {
      const store = await impl.make();
      const limits: QuotaLimit[] = [{ window: 'minute', max: 7 }];
      const key = fresh('q');
      const results = await Promise.all(Array.from({ length: 40 }, () => store.consumeQuota(key, limits, T0)));
      assert.equal(results.filter((r) => r.allowed).length, 7);
      const refused = results.find((r) => !r.allowed)!;
      assert.deepEqual(refused.exceeded, limits[0]);
      assert.equal(refused.retryAfterMs, 60_000, 'until the UTC minute ends');
      await store.close();
    });

    test('answers exactly as the pure quota: every window or none, resets, explain does not spend', async () => {
      const store = await impl.make();
      const key = fresh('q');
      const limits: QuotaLimit[] = [{ window: 'minute', max: 2 }, { window: 'hour', max: 3 }];
      let state: QuotaState | undefined;
      const steps: [number, boolean][] = [[0, true], [1, true], [2, true], [2, false], [60_000, true], [60_001, true], [120_000, true], [3_600_000, true], [3_600_000, true]];
      for (const [dt, spend] of steps) {
        const now = T0 + dt;
        const want = consumeQuota(state, limits, now);
        if (spend) state = want.state;
        const got = await store.consumeQuota(key, limits, now, { spend });
        assert.equal(got.allowed, want.allowed, `allowed at +${dt}`);
        assert.equal(got.retryAfterMs, want.retryAfterMs, `retryAfterMs at +${dt}`);
        assert.deepEqual(got.exceeded, want.exceeded, `exceeded at +${dt}`);
        for (const l of limits) assert.equal(got.counts[l.window], want.state.windows[l.window]?.count, `${l.window} count at +${dt}`);
      }
      await store.close();
    });
  });
}

test('redis quota store: a counter expires after its longest window', async () => {
  const conn = await redis();
  const store = new RedisQuotaStore(conn);
  const key = fresh('q');
  await store.consumeQuota(key, [{ window: 'minute', max: 5 }], Date.now());
  const ttl = await conn.client.pttl(conn.key('quota', key));
  assert.ok(ttl > 0 && ttl <= 61_000, `pttl ${ttl}`);
});

// ---------------------------------------------------------------- flow taint

const flows: { name: string; make: (ttlMs: number) => Promise<[FlowStore, FlowStore]> }[] = [
  {
    name: 'memory',
    make: async (ttlMs) => {
      const t = new FlowTracker({ ttlMs });
      return [t, t];
    },
  },
  { name: 'redis, two replicas', make: async (ttlMs) => [new RedisFlowStore(await redis(), { ttlMs }), new RedisFlowStore(await redis(), { ttlMs })] },
];

for (const impl of flows) {
  describe(`flow store contract: ${impl.name}`, () => {
    test('concurrent taints are a union, seen by every replica', async () => {
      const [a, b] = await impl.make(60_000);
      const key = fresh('s');
      const labels = Array.from({ length: 20 }, (_, i) => `label-${i}`);
      await Promise.all(labels.map((l, i) => (i % 2 ? a : b).taint(key, [l])));
      assert.deepEqual([...(await a.labels(key))].sort(), [...labels].sort());
      assert.deepEqual([...(await b.labels(key))].sort(), [...labels].sort());
      assert.equal((await a.labels(fresh('other'))).size, 0);
      await b.forget(key);
      assert.equal((await a.labels(key)).size, 0);
    });

    test('an idle key expires; reading it keeps it alive', async () => {
      const [a] = await impl.make(300);
      const idle = fresh('idle');
      const active = fresh('active');
      await a.taint(idle, ['private-data']);
      await a.taint(active, ['private-data']);
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 100));
        assert.equal((await a.labels(active)).size, 1, 'an active key is renewed by reading it');
      }
      assert.equal((await a.labels(idle)).size, 0, 'idle past its TTL');
    });
  });
}

// ---------------------------------------------------------------- fail closed

test('redis stores refuse with STATE_UNAVAILABLE while Redis is down, and serve again after', async (t) => {
  const server = await privateRedis();
  const conn = new RedisConnection({ url: server.url, keyPrefix: testPrefix(), commandTimeoutMs: 1000, log: quiet, minBackoffMs: 20, maxBackoffMs: 200 });
  t.after(async () => {
    await conn.close();
    await server.stop();
  });
  await conn.waitReady(10_000);
  const b = new RedisBucketStore(conn);
  const q = new RedisQuotaStore(conn);
  const f = new RedisFlowStore(conn, { ttlMs: 60_000 });
  await f.taint('s', ['private-data']);
  await server.kill();
  for (let i = 0; i < 200 && conn.ready; i++) await new Promise((r) => setTimeout(r, 25));
  const unavailable = (e: { code?: string }) => e.code === 'STATE_UNAVAILABLE';
  await assert.rejects(b.takeToken('k', BURST, Date.now()), unavailable);
  await assert.rejects(q.consumeQuota('k', [{ window: 'minute', max: 1 }], Date.now()), unavailable);
  await assert.rejects(f.labels('s'), unavailable, 'an unreadable taint is not "untainted"');
  await assert.rejects(f.taint('s', ['x']), unavailable);
  await server.restart();
  await conn.waitReady(20_000);
  assert.equal((await b.takeToken('k', BURST, Date.now())).allowed, true);
  assert.equal((await f.labels('s')).size, 0, 'this Redis kept no data across the kill (no persistence)');
});

// ---------------------------------------------------------------- alert windows

const alertWindows: { name: string; make: () => Promise<[AlertWindows, AlertWindows]> }[] = [
  {
    name: 'memory',
    make: async () => {
      const w = new MemoryAlertWindows();
      return [w, w];
    },
  },
  {
    name: 'redis, two replicas',
    make: async () => [new RedisAlertWindows(await redis(), { log: () => {} }), new RedisAlertWindows(await redis(), { log: () => {} })],
  },
];

for (const impl of alertWindows) {
  describe(`alert windows contract: ${impl.name}`, () => {
    test('events from every replica count in one window; the threshold is reached once per event past it', async () => {
      const [a, b] = await impl.make();
      const key = fresh('deniedCalls|');
      const now = Date.now();
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).hit(key, 5, 60_000, now + i)));
      assert.equal(got.filter((n) => n !== undefined).length, 6, 'the 5th to the 10th event each find 5 in the window');
      assert.ok(got.every((n) => n === undefined || n === 5));
    });

    test('events older than the window do not count', async () => {
      const [a, b] = await impl.make();
      const key = fresh('stuffing|');
      const t0 = Date.now();
      assert.equal(await a.hit(key, 3, 1000, t0), undefined);
      assert.equal(await b.hit(key, 3, 1000, t0 + 10), undefined);
      assert.equal(await a.hit(key, 3, 1000, t0 + 2000), undefined, 'the first two fell out');
      assert.equal(await b.hit(key, 3, 1000, t0 + 2100), undefined);
      assert.equal(await a.hit(key, 3, 1000, t0 + 2200), 3);
    });

    test('an alert group is raised once per cooldown, whichever replica sees it; the held ones are counted', async () => {
      const [a, b] = await impl.make();
      const group = fresh('injection|s/t');
      const now = Date.now();
      const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(group, 60_000, now)));
      assert.equal(claims.filter((c) => c.raise).length, 1);
      const next = await a.claim(group, 60_000, now + 60_000);
      assert.deepEqual(next, { raise: true, held: 9 }, 'after the cooldown: raised, saying 9 were held back');
    });
  });
}

test('redis alert windows count in this replica while Redis is down (alerts are not lost), then share again', async (t) => {
  const server = await privateRedis();
  const conn = new RedisConnection({ url: server.url, keyPrefix: testPrefix(), commandTimeoutMs: 1000, log: quiet, minBackoffMs: 20, maxBackoffMs: 200 });
  const lines: string[] = [];
  t.after(async () => {
    await conn.close();
    await server.stop();
  });
  await conn.waitReady(10_000);
  const w = new RedisAlertWindows(conn, { log: (l) => lines.push(l) });
  await server.kill();
  for (let i = 0; i < 200 && conn.ready; i++) await new Promise((r) => setTimeout(r, 25));
  const now = Date.now();
  assert.equal(await w.hit('k', 2, 60_000, now), undefined);
  assert.equal(await w.hit('k', 2, 60_000, now + 1), 2);
  assert.equal((await w.claim('g', 60_000, now)).raise, true);
  assert.equal(lines.filter((l) => /counting in this replica only/.test(l)).length, 1, 'said once');
  await server.restart();
  await conn.waitReady(20_000);
  assert.equal(await w.hit('k2', 1, 60_000, now), 1);
  assert.ok(lines.some((l) => /are back/.test(l)));
});
