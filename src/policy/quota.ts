/**
 * Quotas (`conditions: [{maxEventsPerMinute|Hour|Day}]`) as a pure function of (previous state,
 * limits, now), so any QuotaStore can run it inside its atomic read-modify-write.
 *
 * Fixed windows aligned to UTC (a minute, an hour, a calendar day): easy to explain to an
 * operator ("50 per UTC day") and to persist. All windows of one counter live in one state, so a
 * call is counted in every window or in none: a call refused by the daily window does not spend
 * the hourly one.
 */

export const WINDOWS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type WindowName = keyof typeof WINDOWS;

export interface QuotaLimit {
  window: WindowName;
  max: number;
}

export interface QuotaState {
  /** Per window: the window's start (ms since the epoch, UTC-aligned) and the calls counted in it. */
  windows: Partial<Record<WindowName, { startMs: number; count: number }>>;
}

export interface QuotaOutcome {
  state: QuotaState;
  allowed: boolean;
  /** When refused: the window that is full, and ms until it resets. */
  exceeded?: QuotaLimit;
  retryAfterMs: number;
}

export function windowStart(window: WindowName, nowMs: number): number {
  return nowMs - (nowMs % WINDOWS[window]);
}

export function consumeQuota(prev: QuotaState | undefined, limits: readonly QuotaLimit[], nowMs: number): QuotaOutcome {
  const windows: QuotaState['windows'] = {};
  for (const l of limits) {
    const start = windowStart(l.window, nowMs);
    const p = prev?.windows[l.window];
    // A counter from an earlier window is spent; one from a later window (clock stepped back) is kept.
    windows[l.window] = p && p.startMs >= start ? { ...p } : { startMs: start, count: 0 };
  }
  for (const l of limits) {
    const w = windows[l.window]!;
    if (w.count >= l.max) {
      return { state: { windows }, allowed: false, exceeded: l, retryAfterMs: Math.max(0, w.startMs + WINDOWS[l.window] - nowMs) };
    }
  }
  for (const l of limits) windows[l.window]!.count++;
  return { state: { windows }, allowed: true, retryAfterMs: 0 };
}

/** After the longest window has ended, the state is the same as none: a store may forget it. */
export function quotaTtlMs(limits: readonly QuotaLimit[]): number {
  return Math.max(...limits.map((l) => WINDOWS[l.window])) + 1000;
}
