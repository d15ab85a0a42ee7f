/**
 * The state behind quotas. Like the rate-limit store (store.ts) it speaks the domain operation,
 * `consumeQuota`, with the semantics of policy/quota.ts, so a shared store (Redis) runs it as one
 * atomic script and no check changes. Unlike rate-limit buckets, quota counters must survive a
 * restart: the default store is SQLite on disk (sqlite-quota-store.ts); the in-memory one serves
 * `policy test` and `policy explain`.
 */
import { consumeQuota, quotaTtlMs, type QuotaLimit, type QuotaState, type WindowName } from '../policy/quota.ts';

export interface QuotaResult {
  allowed: boolean;
  /** When refused: ms until the full window resets. */
  retryAfterMs: number;
  /** When refused: the window that is full. */
  exceeded?: QuotaLimit;
  /** Per window: this call's number in it (counted when allowed, whether or not it was spent). */
  counts: Partial<Record<WindowName, number>>;
}

export interface QuotaStore {
  /**
   * Counts one call against every limit of `key` at `nowMs`, atomically: in every window or in
   * none. `spend: false` (`policy explain`) answers the same without counting.
   */
  consumeQuota(key: string, limits: readonly QuotaLimit[], nowMs: number, opts?: { spend?: boolean }): QuotaResult | Promise<QuotaResult>;
  close(): void | Promise<void>;
}

/** One `consumeQuota` over a read-modify-write store: the state to keep and the answer. */
export function applyQuota(prev: QuotaState | undefined, limits: readonly QuotaLimit[], nowMs: number, spend: boolean): { next: QuotaState; result: QuotaResult } {
  const o = consumeQuota(prev, limits, nowMs);
  const counts: QuotaResult['counts'] = {};
  for (const l of limits) counts[l.window] = o.state.windows[l.window]?.count ?? 0;
  return { next: spend ? o.state : (prev ?? { windows: {} }), result: { allowed: o.allowed, retryAfterMs: o.retryAfterMs, exceeded: o.exceeded, counts } };
}

const MAX_ENTRIES = 100_000;

export class MemoryQuotaStore implements QuotaStore {
  private readonly entries = new Map<string, { state: QuotaState; expiresMs: number }>();
  private readonly clock: () => number;
  private readonly maxEntries: number;

  constructor(clock: () => number = Date.now, maxEntries = MAX_ENTRIES) {
    this.clock = clock;
    this.maxEntries = maxEntries;
  }

  consumeQuota(key: string, limits: readonly QuotaLimit[], nowMs: number, opts: { spend?: boolean } = {}): QuotaResult {
    const now = this.clock();
    const found = this.entries.get(key);
    const { next, result } = applyQuota(found && found.expiresMs > now ? found.state : undefined, limits, nowMs, opts.spend ?? true);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { state: next, expiresMs: now + quotaTtlMs(limits) });
    return result;
  }

  close(): void {
    this.entries.clear();
  }
}
