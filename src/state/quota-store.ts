/**
 * The state behind quotas: the same contract as the rate-limit store (`StateStore.updateBucket`),
 * an atomic read-modify-write of one key with a TTL, so a shared store (Redis, with a Lua script
 * or WATCH/MULTI) can replace the embedded one without any check changing. Unlike rate-limit
 * buckets, quota counters must survive a restart: the default store is SQLite on disk
 * (sqlite-quota-store.ts); the in-memory one serves `policy test` and `policy explain`.
 */
import type { QuotaState } from '../policy/quota.ts';

export interface QuotaStore {
  /**
   * `fn` sees the current state (undefined when absent or expired) and returns the next; no other
   * update of `key` may interleave. `fn` must be pure: a store may run it more than once.
   */
  updateQuota(key: string, fn: (prev: QuotaState | undefined) => QuotaState, ttlMs: number): QuotaState | Promise<QuotaState>;
  close(): void | Promise<void>;
}

const MAX_ENTRIES = 100_000;

export class MemoryQuotaStore implements QuotaStore {
  private readonly entries = new Map<string, { state: QuotaState; expiresMs: number }>();
  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  updateQuota(key: string, fn: (prev: QuotaState | undefined) => QuotaState, ttlMs: number): QuotaState {
    const now = this.clock();
    const found = this.entries.get(key);
    const next = fn(found && found.expiresMs > now ? found.state : undefined);
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { state: next, expiresMs: now + ttlMs });
    return next;
  }

  close(): void {
    this.entries.clear();
  }
}
