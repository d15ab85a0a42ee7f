/**
 * When the primary restarts a worker that died, and when it gives up.
 *
 * A worker that dies is restarted after a back-off that doubles with each death inside the window
 * (250 ms, 500 ms, 1 s, ... capped), so one crash costs a quarter of a second of one worker's
 * share while a worker that dies on every request cannot spin the machine. More than `maxCrashes`
 * deaths inside `windowMs` means restarting is not helping (a broken upstream, a full disk, a
 * bug hit by every request): the primary stops and exits non-zero, so the supervisor above it
 * (systemd, Kubernetes) sees the failure instead of a gateway that flaps forever.
 */
export interface RestartPolicyOptions {
  /** @default 5 */
  maxCrashes?: number;
  /** @default 60_000 */
  windowMs?: number;
  /** @default 250 */
  firstDelayMs?: number;
  /** @default 10_000 */
  maxDelayMs?: number;
}

export type RestartDecision = { restart: true; delayMs: number; recent: number } | { restart: false; recent: number };

export class RestartPolicy {
  private readonly crashes: number[] = [];
  private readonly maxCrashes: number;
  private readonly windowMs: number;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(o: RestartPolicyOptions = {}) {
    this.maxCrashes = o.maxCrashes ?? 5;
    this.windowMs = o.windowMs ?? 60_000;
    this.firstDelayMs = o.firstDelayMs ?? 250;
    this.maxDelayMs = o.maxDelayMs ?? 10_000;
  }

  /** A worker died at `now` (ms): restart it after `delayMs`, or give up. Deaths of all workers count together. */
  crashed(now: number): RestartDecision {
    this.crashes.push(now);
    while (this.crashes.length && this.crashes[0] <= now - this.windowMs) this.crashes.shift();
    const recent = this.crashes.length;
    if (recent > this.maxCrashes) return { restart: false, recent };
    return { restart: true, delayMs: Math.min(this.firstDelayMs * 2 ** (recent - 1), this.maxDelayMs), recent };
  }

  get limits(): { maxCrashes: number; windowMs: number } {
    return { maxCrashes: this.maxCrashes, windowMs: this.windowMs };
  }
}
