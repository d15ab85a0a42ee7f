import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bucketTtlMs, takeToken } from '../../src/policy/token-bucket.ts';
import type { BucketState } from '../../src/state/store.ts';

const cfg = { requestsPerMinute: 60, burstSize: 3, cooldownSeconds: 10 };

describe('takeToken', () => {
  it('starts full and spends one token per call', () => {
    let s: BucketState | undefined;
    const results: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const r = takeToken(s, cfg, 0);
      results.push(r.allowed);
      s = r.state;
    }
    assert.deepEqual(results, [true, true, true, false]);
    assert.equal(s?.blockedUntilMs, 10_000);
  });

  it('refills continuously up to the capacity', () => {
    const empty: BucketState = { tokens: 0, updatedMs: 0, blockedUntilMs: 0 };
    assert.equal(takeToken(empty, cfg, 999).allowed, false);
    const r = takeToken(empty, cfg, 1000);
    assert.equal(r.allowed, true);
    assert.equal(r.state.tokens, 0);
    const capped = takeToken(empty, cfg, 1_000_000);
    assert.equal(capped.state.tokens, cfg.burstSize - 1);
  });

  it('refuses through the cooldown without changing the state, then resumes', () => {
    const blocked: BucketState = { tokens: 0.5, updatedMs: 0, blockedUntilMs: 10_000 };
    const during = takeToken(blocked, cfg, 5_000);
    assert.equal(during.allowed, false);
    assert.equal(during.state, blocked);
    assert.equal(during.retryAfterMs, 5_000);
    const after = takeToken(blocked, cfg, 10_000);
    assert.equal(after.allowed, true);
  });

  it('retryAfterMs covers the refill when the cooldown is shorter', () => {
    const noCooldown = { ...cfg, cooldownSeconds: 0 };
    const r = takeToken({ tokens: 0.25, updatedMs: 0, blockedUntilMs: 0 }, noCooldown, 0);
    assert.equal(r.allowed, false);
    assert.equal(r.retryAfterMs, 750);
  });

  it('does not credit a clock that steps backwards', () => {
    const s: BucketState = { tokens: 0, updatedMs: 5_000, blockedUntilMs: 0 };
    const back = takeToken(s, cfg, 1_000);
    assert.equal(back.allowed, false);
    assert.equal(back.state.updatedMs, 5_000);
  });

  it('a forgotten bucket is full and unblocked', () => {
    const ttl = bucketTtlMs(cfg);
    const r = takeToken({ tokens: 0, updatedMs: 0, blockedUntilMs: 10_000 }, cfg, ttl);
    assert.equal(r.allowed, true);
    assert.equal(r.state.tokens, cfg.burstSize - 1);
  });
});
