/**
 * The state behind rate limits, kept behind one interface so a shared store (Redis, several
 * replicas) can replace the in-process one without any check changing.
 *
 * The store speaks the domain operation (`takeToken`), not a generic read-modify-write: a shared
 * store runs it as one atomic script (one round trip), where a JS updater closure would need
 * WATCH/MULTI retries. Every implementation gives the semantics of policy/token-bucket.ts.
 *
 * Methods may answer synchronously or with a promise: the in-memory store stays off the
 * microtask queue on the hot path, a network store returns promises. Callers always `await`.
 * A network store that cannot answer throws `STATE_UNAVAILABLE` (the call is refused).
 */
import type { TokenBucketConfig } from '../policy/token-bucket.ts';

export interface BucketState {
  /** Tokens left; fractional, since refill is continuous. */
  tokens: number;
  /** Clock time (ms) `tokens` was computed at. */
  updatedMs: number;
  /** Until this clock time (ms) every call is refused; 0 when not blocked. */
  blockedUntilMs: number;
}

export interface TakeResult {
  allowed: boolean;
  /** When refused: ms until a call would succeed. 0 when allowed. */
  retryAfterMs: number;
}

export interface BucketTake {
  key: string;
  cfg: TokenBucketConfig;
}

export interface StateStore {
  /**
   * Takes one token from the bucket `key` at clock time `nowMs` (policy/token-bucket.ts), atomically:
   * concurrent calls on one key cannot both spend the last token. A bucket untouched for
   * `bucketTtlMs(cfg)` is forgotten (it would be full and unblocked by then).
   */
  takeToken(key: string, cfg: TokenBucketConfig, nowMs: number): TakeResult | Promise<TakeResult>;
  /**
   * `takeToken` on each bucket in order, stopping at the first refusal (the buckets before it are
   * spent, as separate calls would have spent them), as one atomic step: one round trip for all
   * the buckets of a call. Returns one result per bucket tried.
   */
  takeTokens(takes: readonly BucketTake[], nowMs: number): TakeResult[] | Promise<TakeResult[]>;
  delete(key: string): void | Promise<void>;
  close(): void | Promise<void>;
}
