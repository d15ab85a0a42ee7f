/**
 * Rate limiting: one token bucket per key, kept in a StateStore.
 *
 * The key is opaque here; the caller decides the scope (e.g. `session:<id>|tool:<server>/<tool>`)
 * so the same limiter serves per-session, per-principal and per-tool limits. The bucket update
 * runs inside the store's atomic read-modify-write, so concurrent calls on one key cannot both
 * spend the last token.
 */
import type { StateStore } from '../state/store.ts';
import { bucketTtlMs, takeToken, type TakeOutcome, type TokenBucketConfig } from '../policy/token-bucket.ts';

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
    const now = this.clock();
    // A holder rather than a `let`: the store may run the updater more than once; the last run is the one committed.
    const last: { outcome?: TakeOutcome } = {};
    await this.store.updateBucket(
      key,
      (prev) => {
        last.outcome = takeToken(prev, cfg, now);
        return last.outcome.state;
      },
      bucketTtlMs(cfg),
    );
    if (last.outcome === undefined) throw new Error('state store did not run the bucket update');
    if (last.outcome.allowed) return OK;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(last.outcome.retryAfterMs / 1000)) };
  }
}
