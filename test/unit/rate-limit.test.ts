import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/checks/rate-limit.ts';
import { MemoryStore } from '../../src/state/memory-store.ts';
import { bucketsFor, principalKey } from '../../src/checks/rate-limit-keys.ts';
import { throttle } from '../../src/checks/throttle.ts';
import { configSchema } from '../../src/config/schema.ts';

const cfg = { enabled: true, requestsPerMinute: 60, burstSize: 5, cooldownSeconds: 30 };

function setup() {
  const t = { now: 1_000_000 };
  const store = new MemoryStore({ sweepIntervalMs: 0, clock: () => t.now });
  const limiter = new RateLimiter({ store, clock: () => t.now });
  return { t, store, limiter };
}

async function takeN(limiter: RateLimiter, key: string, n: number, c = cfg): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await limiter.take(key, c)).ok);
  return out;
}

describe('RateLimiter', () => {
  it('allows burstSize calls, then refuses', async () => {
    const { limiter, store } = setup();
    assert.deepEqual(await takeN(limiter, 'k', 6), [true, true, true, true, true, false]);
    store.close();
  });

  it('refills over time (without cooldown)', async () => {
    const { t, limiter, store } = setup();
    const c = { ...cfg, cooldownSeconds: 0 };
    await takeN(limiter, 'k', 5, c);
    assert.deepEqual(await limiter.take('k', c), { ok: false, retryAfterSeconds: 1 });
    t.now += 2_000; // two tokens at 1/s
    assert.deepEqual(await takeN(limiter, 'k', 3, c), [true, true, false]);
    store.close();
  });

  it('cooldown blocks even after the bucket refilled, then lets calls through', async () => {
    const { t, limiter, store } = setup();
    await takeN(limiter, 'k', 5);
    assert.deepEqual(await limiter.take('k', cfg), { ok: false, retryAfterSeconds: 30 });
    t.now += 10_000; // 10 tokens' worth of refill, capped at 5, but still cooling down
    assert.deepEqual(await limiter.take('k', cfg), { ok: false, retryAfterSeconds: 20 });
    t.now += 19_999;
    assert.deepEqual(await limiter.take('k', cfg), { ok: false, retryAfterSeconds: 1 }, 'ceil of 1 ms');
    t.now += 1;
    assert.deepEqual(await takeN(limiter, 'k', 6), [true, true, true, true, true, false]);
    store.close();
  });

  it('retryAfterSeconds rounds up', async () => {
    const { t, limiter, store } = setup();
    await takeN(limiter, 'k', 5);
    await limiter.take('k', cfg);
    t.now += 1_500;
    assert.deepEqual(await limiter.take('k', cfg), { ok: false, retryAfterSeconds: 29 });
    store.close();
  });

  it('keeps keys independent', async () => {
    const { limiter, store } = setup();
    await takeN(limiter, 'session:a|tool:fs/read', 6);
    assert.deepEqual(await limiter.take('session:b|tool:fs/read', cfg), { ok: true });
    assert.deepEqual(await limiter.take('session:a|tool:fs/write', cfg), { ok: true });
    assert.equal((await limiter.take('session:a|tool:fs/read', cfg)).ok, false);
    store.close();
  });

  it('always allows when disabled', async () => {
    const { limiter, store } = setup();
    const off = { ...cfg, enabled: false };
    assert.deepEqual(await takeN(limiter, 'k', 50, off), Array(50).fill(true));
    assert.equal(store.size, 0, 'a disabled limit stores nothing');
    store.close();
  });
});

describe('keyed buckets (throttle)', () => {
  type Ctx = Parameters<typeof throttle>[0];
  const rl = (extra: Record<string, unknown>) => configSchema.parse({ mcp: { security: { rateLimiting: { requestsPerMinute: 1, burstSize: 1, cooldownSeconds: 0, ...extra } } } }).mcp.security;
  const session = (id: string, subject: string, method = 'api-key', connection = 'http:10.0.0.1:5555') => ({ id, stateless: false, connection, principal: { subject, method, roles: [] } });
  const target = { kind: 'tool', server: { name: 'files' }, name: 'read' };

  it('anonymous callers are keyed by address (port dropped), others by subject', () => {
    assert.equal(principalKey(session('s', 'anonymous', 'anonymous') as never), 'anonymous@http:10.0.0.1');
    assert.equal(principalKey(session('s', 'alice') as never), 'alice');
    const keys = bucketsFor(session('s1', 'alice') as never, target as never, 'tools/call', rl({ perPrincipal: { requestsPerMinute: 1, burstSize: 1 }, perPrincipalTool: { requestsPerMinute: 1, burstSize: 1 }, perServer: { requestsPerMinute: 1, burstSize: 1 } }).rateLimiting);
    assert.deepEqual(keys.map((k) => k.rule), ['rateLimiting', 'rateLimiting.perPrincipalTool', 'rateLimiting.perPrincipal', 'rateLimiting.perServer'], 'narrowest first');
    assert.deepEqual(keys.map((k) => k.key), ['s:s1|tool:files/read', 'pt:alice|tool:files/read', 'pr:alice', 'sv:files']);
    assert.equal(keys[2].limits.cooldownSeconds, 0, 'cooldown inherited from rateLimiting.cooldownSeconds');
  });

  it("a call refused by the caller's own bucket spends nothing from the server's shared one", async () => {
    const { limiter, store } = setup();
    const security = rl({ perServer: { requestsPerMinute: 1, burstSize: 2 } });
    const run = async (s: ReturnType<typeof session>) => {
      const ctx = { services: { rateLimiter: limiter }, session: s, target, method: 'tools/call', security, audit: {} } as unknown as Ctx;
      try {
        await throttle(ctx, async () => {});
        return 'ok';
      } catch {
        return String(ctx.audit.rule);
      }
    };
    const a = session('a', 'alice');
    assert.deepEqual([await run(a), await run(a), await run(a)], ['ok', 'rateLimiting', 'rateLimiting']);
    const b = session('b', 'bob');
    assert.equal(await run(b), 'ok', "alice's refused calls left the server's second token");
    assert.equal(await run(session('c', 'carol')), 'rateLimiting.perServer');
    store.close();
  });
});
