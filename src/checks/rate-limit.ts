/**
 * Rate limiting: one token bucket per key, kept in a StateStore.
 *
 * The key is opaque here; the caller decides the scope (e.g. `session:<id>|tool:<server>/<tool>`)
 * so the same limiter serves per-session, per-principal and per-tool limits. The store takes the
 * token atomically (one script in Redis), so concurrent calls on one key, on any replica, cannot
 * both spend the last token.
 */
import type { StateStore } from '../state/store.ts';
import type { TokenBucketConfig } from '../policy/token-bucket.ts';

export interface RateLimitConfig extends TokenBucketConfig {
  enabled: boolean;
}

export type RateLimitResult = { ok: true } | { ok: false; retryAfterSeconds: number };

const OK: RateLimitResult = Object.freeze({ ok: true });

export class RateLimiter {
  private readonly store: StateStore;
  private readonly clock: () => number;

  constructor(opts: { store: StateStore; clock?: () => number }) {
    this.store = opts.store;
    this.clock = opts.clock ?? Date.now;
  }

  async take(key: string, cfg: RateLimitConfig): Promise<RateLimitResult> {
    if (!cfg.enabled) return OK;
    const r = await this.store.takeToken(key, cfg, this.clock());
    if (r.allowed) return OK;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
  }

  /**
   * Every bucket of one call in order, in one step (one round trip to a shared store); the walk
   * stops at the first refusal, which is returned with its index.
   */
  async takeAll(buckets: readonly { key: string; limits: RateLimitConfig }[]): Promise<RateLimitResult & { index?: number }> {
    const on = buckets.filter((b) => b.limits.enabled);
    if (on.length === 0) return OK;
    const results = await this.store.takeTokens(on.map((b) => ({ key: b.key, cfg: b.limits })), this.clock());
    const i = results.findIndex((r) => !r.allowed);
    if (i === -1) return OK;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(results[i]!.retryAfterMs / 1000)), index: buckets.indexOf(on[i]!) };
  }
}
