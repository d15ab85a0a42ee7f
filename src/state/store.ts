/**
 * The state behind rate limits (and later quotas), kept behind one interface so a shared store
 * (Redis) can replace the in-process one without any check changing.
 *
 * Methods may answer synchronously or with a promise: the in-memory store stays off the
 * microtask queue on the hot path, a network store returns promises. Callers always `await`.
 */

export interface BucketState {
  /** Tokens left; fractional, since refill is continuous. */
  tokens: number;
  /** Clock time (ms) `tokens` was computed at. */
  updatedMs: number;
  /** Until this clock time (ms) every call is refused; 0 when not blocked. */
  blockedUntilMs: number;
}

export interface StateStore {
  /**
   * Atomically read-modify-write a bucket: `fn` sees the current state (undefined when absent or
   * expired) and returns the next. No other update of `key` may interleave. The entry may be
   * forgotten `ttlMs` after this update, so callers choose a TTL after which a forgotten bucket
   * behaves exactly like a fresh one. A store that retries on conflict may call `fn` more than
   * once; `fn` must be pure.
   */
  updateBucket(key: string, fn: (prev: BucketState | undefined) => BucketState, ttlMs: number): BucketState | Promise<BucketState>;
  delete(key: string): void | Promise<void>;
  close(): void | Promise<void>;
}
