/**
 * Supervision of a stdio server: when to restart it after a crash or a failed start, and when it
 * is crash-looping.
 *
 * The first failure is retried at once (a one-off crash costs one restart, not a wait); after
 * that the delay doubles from 1 s up to 30 s. Failures count as consecutive until the server has
 * stayed up for `stableMs`. At `crashLoopAfter` consecutive failures the server is unhealthy: no
 * more automatic restarts, its calls fail fast, the gateway audits `sandbox_crash_loop` (the
 * alerting capability keys on it), and one new attempt is allowed per `unhealthyCooldownMs`.
 */
export const RESTART = Object.freeze({
  stableMs: 60_000,
  crashLoopAfter: 5,
  maxBackoffMs: 30_000,
  unhealthyCooldownMs: 5 * 60_000,
});

/** Delay before the next start after `failures` consecutive failures (≥ 1). */
export function restartDelayMs(failures: number): number {
  if (failures >= RESTART.crashLoopAfter) return RESTART.unhealthyCooldownMs;
  if (failures <= 1) return 0;
  return Math.min(RESTART.maxBackoffMs, 1000 * 2 ** (failures - 2));
}

export function isCrashLoop(failures: number): boolean {
  return failures >= RESTART.crashLoopAfter;
}

/** A failure after this long up is a fresh one: the count starts again. */
export function wasStable(readyAt: number, now: number): boolean {
  return readyAt > 0 && now - readyAt >= RESTART.stableMs;
}
