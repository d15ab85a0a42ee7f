import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/state/memory-store.ts';
import type { BucketState } from '../../src/state/store.ts';

const state = (tokens: number): BucketState => ({ tokens, updatedMs: 0, blockedUntilMs: 0 });

function setup(opts: { maxEntries?: number } = {}) {
  const t = { now: 1_000 };
  const store = new MemoryStore({ ...opts, sweepIntervalMs: 0, clock: () => t.now });
  const seen = (key: string): BucketState | undefined => {
    let prev: BucketState | undefined;
    store.updateBucket(key, (p) => ((prev = p), p ?? state(-1)), 1_000_000);
    return prev;
  };
  return { t, store, seen };
}

describe('MemoryStore', () => {
  it('passes the previous state to the updater and stores the result', () => {
    const { store } = setup();
    const calls: Array<BucketState | undefined> = [];
    const r1 = store.updateBucket('k', (p) => (calls.push(p), state(5)), 1000);
    const r2 = store.updateBucket('k', (p) => (calls.push(p), state((p?.tokens ?? 0) - 1)), 1000);
    assert.deepEqual(r1, state(5));
    assert.deepEqual(r2, state(4));
    assert.deepEqual(calls, [undefined, state(5)]);
    store.close();
  });

  it('forgets an entry once its TTL has passed', () => {
    const { t, store } = setup();
    store.updateBucket('k', () => state(3), 500);
    t.now += 499;
    let prev: BucketState | undefined;
    store.updateBucket('k', (p) => ((prev = p), state(2)), 500);
    assert.deepEqual(prev, state(3));
    t.now += 500;
    store.updateBucket('k', (p) => ((prev = p), state(1)), 500);
    assert.equal(prev, undefined);
    store.close();
  });

  it('delete removes a key; close empties the store', () => {
    const { store, seen } = setup();
    store.updateBucket('a', () => state(1), 1000);
    store.updateBucket('b', () => state(1), 1000);
    store.delete('a');
    assert.equal(seen('a'), undefined);
    assert.deepEqual(seen('b'), state(1));
    store.close();
    assert.equal(store.size, 0);
  });

  it('at the cap evicts expired entries first', () => {
    const { t, store, seen } = setup({ maxEntries: 3 });
    store.updateBucket('old', () => state(1), 1_000_000);
    store.updateBucket('short', () => state(2), 10);
    store.updateBucket('mid', () => state(3), 1_000_000);
    t.now += 5_000;
    store.updateBucket('new', () => state(4), 1_000_000);
    assert.equal(store.size, 3);
    assert.deepEqual(seen('old'), state(1), 'the oldest live entry survives while an expired one can go');
    assert.deepEqual(seen('mid'), state(3));
    assert.deepEqual(seen('new'), state(4));
    store.close();
  });

  it('at the cap evicts the least recently updated live entry', () => {
    const { store, seen } = setup({ maxEntries: 3 });
    store.updateBucket('a', () => state(1), 1_000_000);
    store.updateBucket('b', () => state(2), 1_000_000);
    store.updateBucket('c', () => state(3), 1_000_000);
    store.updateBucket('a', () => state(10), 1_000_000); // a is now the most recent
    store.updateBucket('d', () => state(4), 1_000_000);
    assert.equal(store.size, 3);
    assert.equal(seen('b'), undefined);
    store.close();
  });

  it('stays bounded under a flood of distinct keys', () => {
    const { store } = setup({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) store.updateBucket(`k${i}`, () => state(i), 1_000_000);
    assert.equal(store.size, 100);
    store.close();
  });

  it('rejects a nonsensical cap', () => {
    assert.throws(() => new MemoryStore({ maxEntries: 0 }), RangeError);
  });
});
