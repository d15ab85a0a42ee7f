/**
 * Quotas: fixed UTC windows, all-or-nothing counting across windows, and the SQLite store that
 * keeps counters across a restart (closing and reopening the same file, as a restarted gateway
 * does; the end-to-end test restarts a real gateway process).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { consumeQuota, quotaTtlMs, windowStart, type QuotaLimit, type QuotaState } from '../../src/policy/quota.ts';
import { SqliteQuotaStore } from '../../src/state/sqlite-quota-store.ts';
import { tempDir } from '../helpers/gateway-process.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 15, 10, 30, 0);

test('a daily quota allows max calls per UTC day, then says when the day ends', () => {
  const limits: QuotaLimit[] = [{ window: 'day', max: 3 }];
  let s: QuotaState | undefined;
  for (let i = 0; i < 3; i++) {
    const o = consumeQuota(s, limits, T0 + i);
    assert.equal(o.allowed, true);
    s = o.state;
  }
  const refused = consumeQuota(s, limits, T0 + 10);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, windowStart('day', T0) + DAY - (T0 + 10));
  assert.equal(consumeQuota(refused.state, limits, windowStart('day', T0) + DAY).allowed, true, 'a new UTC day');
});

test('a call refused by one window is not counted by the others', () => {
  const limits: QuotaLimit[] = [{ window: 'minute', max: 100 }, { window: 'hour', max: 2 }];
  let s = consumeQuota(undefined, limits, T0).state;
  s = consumeQuota(s, limits, T0 + 1).state;
  const refused = consumeQuota(s, limits, T0 + 2);
  assert.equal(refused.allowed, false);
  assert.equal(refused.exceeded?.window, 'hour');
  assert.equal(refused.state.windows.minute?.count, 2);
});

test('a clock that steps back does not reopen a spent window', () => {
  const limits: QuotaLimit[] = [{ window: 'minute', max: 1 }];
  const s = consumeQuota(undefined, limits, T0 + 60_000).state;
  assert.equal(consumeQuota(s, limits, T0).allowed, false);
});

test('the SQLite store keeps counters across close and reopen, and expires them', () => {
  const path = join(tempDir(), 'state', 'quotas.db');
  const limits: QuotaLimit[] = [{ window: 'day', max: 2 }];
  let now = T0;
  const open = () => new SqliteQuotaStore({ path, clock: () => now });
  let store = open();
  const take = () => {
    const holder: { allowed?: boolean } = {};
    store.updateQuota('k', (prev) => {
      const o = consumeQuota(prev, limits, now);
      holder.allowed = o.allowed;
      return o.state;
    }, quotaTtlMs(limits));
    return holder.allowed;
  };
  assert.equal(take(), true);
  store.close();
  store = open();
  assert.equal(take(), true);
  store.close();
  store = open();
  assert.equal(take(), false, 'the third call of the day, after two restarts');
  now += DAY + quotaTtlMs(limits);
  assert.equal(take(), true, 'an expired counter is forgotten');
  store.close();
});

test('the SQLite store refuses new counters when full instead of forgetting old ones', () => {
  // The cap is checked when the store opens and every few hundred updates: reopen at the cap.
  const p = join(tempDir(), 'q.db');
  const first = new SqliteQuotaStore({ path: p, maxEntries: 1 });
  first.updateQuota('x', () => ({ windows: {} }), 60_000);
  first.close();
  const again = new SqliteQuotaStore({ path: p, maxEntries: 1 });
  assert.doesNotThrow(() => again.updateQuota('x', () => ({ windows: {} }), 60_000), 'an existing counter still updates');
  assert.throws(() => again.updateQuota('y', () => ({ windows: {} }), 60_000), /full/, 'a new one fails closed');
  again.close();
});
