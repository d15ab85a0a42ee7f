/**
 * Counting events in time windows with bounded memory, on an injected clock.
 *
 * `CountWindow` answers "did `count` events happen within `windowMs`?" by keeping only the last
 * `count` timestamps. `RateComparison` answers "how many in the last window, and in the one
 * before?" with 20 buckets per two windows, so memory is fixed whatever the traffic.
 */
export class CountWindow {
  private readonly times: number[] = [];
  private readonly count: number;
  private readonly windowMs: number;

  constructor(count: number, windowMs: number) {
    this.count = count;
    this.windowMs = windowMs;
  }

  /** Records one event at `now`; returns how many fell within the window, if that reached `count`. */
  hit(now: number): number | undefined {
    this.times.push(now);
    if (this.times.length > this.count) this.times.shift();
    const inWindow = this.times.filter((t) => now - t < this.windowMs).length;
    return inWindow >= this.count ? inWindow : undefined;
  }

  /** Times at or before `now - windowMs` can never count again. */
  idle(now: number): boolean {
    const last = this.times.at(-1);
    return last === undefined || now - last >= this.windowMs;
  }
}

const BUCKETS_PER_WINDOW = 10;

export class RateComparison {
  private readonly bucketMs: number;
  private readonly buckets = new Map<number, number>();

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, windowMs / BUCKETS_PER_WINDOW);
  }

  /** Records one event; returns the counts of the current window and of the one before it. */
  hit(now: number): { current: number; previous: number } {
    const b = Math.floor(now / this.bucketMs);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    let current = 0;
    let previous = 0;
    for (const [k, n] of this.buckets) {
      const age = b - k;
      if (age < BUCKETS_PER_WINDOW) current += n;
      else if (age < 2 * BUCKETS_PER_WINDOW) previous += n;
      else this.buckets.delete(k);
    }
    return { current, previous };
  }
}
