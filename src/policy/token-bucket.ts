/**
 * The token bucket with cooldown, as a pure function of (previous state, config, now).
 *
 * Capacity is `burstSize`; refill is continuous at `requestsPerMinute / 60000` tokens per ms; a
 * call takes one token. A call that finds less than one token starts a cooldown: every call until
 * `now + cooldownSeconds` is refused even if the bucket has refilled meanwhile, so a client that
 * hammers an empty bucket cannot keep squeezing single calls through at the refill rate. Refill
 * keeps accruing during the cooldown; afterwards the bucket behaves normally.
 *
 * Pure so that any StateStore (in memory or shared) can run it inside its atomic update.
 */
import type { BucketState } from '../state/store.ts';

export interface TokenBucketConfig {
  requestsPerMinute: number;
  burstSize: number;
  cooldownSeconds: number;
}

export interface TakeOutcome {
  state: BucketState;
  allowed: boolean;
  /** When refused: ms until a call would succeed. 0 when allowed. */
  retryAfterMs: number;
}

/** Refill is floating point; `1000 * (60 / 60000)` must count as one whole token. */
const EPSILON = 1e-9;

function perMs(cfg: TokenBucketConfig): number {
  return cfg.requestsPerMinute / 60_000;
}

/** ms from now until both the cooldown is over and a whole token is there. */
function waitMs(tokens: number, nowMs: number, blockedUntilMs: number, rate: number): number {
  const tokenAt = tokens >= 1 - EPSILON ? nowMs : nowMs + (1 - tokens) / rate;
  return Math.max(blockedUntilMs, tokenAt) - nowMs;
}

export function takeToken(prev: BucketState | undefined, cfg: TokenBucketConfig, nowMs: number): TakeOutcome {
  const rate = perMs(cfg);
  const start = prev ?? { tokens: cfg.burstSize, updatedMs: nowMs, blockedUntilMs: 0 };
  // A clock that steps backwards adds nothing (and must not be credited again later).
  const updatedMs = Math.max(start.updatedMs, nowMs);
  const tokens = Math.min(cfg.burstSize, start.tokens + Math.max(0, nowMs - start.updatedMs) * rate);

  if (nowMs < start.blockedUntilMs) {
    // Refused without touching the state: refill keeps counting from start.updatedMs.
    return { state: start, allowed: false, retryAfterMs: waitMs(tokens, nowMs, start.blockedUntilMs, rate) };
  }
  if (tokens >= 1 - EPSILON) {
    return { state: { tokens: Math.max(0, tokens - 1), updatedMs, blockedUntilMs: 0 }, allowed: true, retryAfterMs: 0 };
  }
  const blockedUntilMs = nowMs + cfg.cooldownSeconds * 1000;
  return {
    state: { tokens, updatedMs, blockedUntilMs },
    allowed: false,
    retryAfterMs: waitMs(tokens, nowMs, blockedUntilMs, rate),
  };
}

/** After this long untouched a bucket is full and unblocked, i.e. the same as a fresh one, so a store may forget it. */
export function bucketTtlMs(cfg: TokenBucketConfig): number {
  return Math.ceil(cfg.cooldownSeconds * 1000 + cfg.burstSize / perMs(cfg)) + 1;
}
