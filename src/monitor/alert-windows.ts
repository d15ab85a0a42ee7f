/**
 * Where the alert engine counts: the events of a rule per subject in a sliding window, and when
 * each alert group was last raised (the cooldown). In this process (MemoryAlertWindows), or in
 * Redis shared by every replica (state/redis-alert-windows.ts), so that a burst spread over
 * replicas is counted once and an alert is raised by one replica, not by each.
 *
 * Answers may be synchronous or promises; the engine keeps the synchronous path synchronous.
 */
import { CountWindow } from './sliding-window.ts';

export interface Claim {
  /** This caller raises the alert now. */
  raise: boolean;
  /** Alerts of the group held back by the cooldown since it was last raised. */
  held: number;
}

export interface AlertWindows {
  /** Records one event of `key` at `now`; the count within `windowMs` when it reached `count`. */
  hit(key: string, count: number, windowMs: number, now: number): number | undefined | Promise<number | undefined>;
  /** Raise `group` now, unless it was raised less than `cooldownMs` ago (then it is held). */
  claim(group: string, cooldownMs: number, now: number): Claim | Promise<Claim>;
}

/** At most this many subjects per kind are tracked: subjects can come from client-chosen names. */
const MAX_SUBJECTS = 1000;

export class MemoryAlertWindows implements AlertWindows {
  private readonly windows = new Map<string, CountWindow>();
  private readonly lastRaised = new Map<string, { at: number; held: number }>();

  hit(key: string, count: number, windowMs: number, now: number): number | undefined {
    let w = this.windows.get(key);
    if (!w) {
      if (this.windows.size >= MAX_SUBJECTS) this.evict(now);
      w = new CountWindow(count, windowMs);
      this.windows.set(key, w);
    }
    return w.hit(now);
  }

  claim(group: string, cooldownMs: number, now: number): Claim {
    const last = this.lastRaised.get(group);
    if (last && now - last.at < cooldownMs) {
      last.held++;
      return { raise: false, held: last.held };
    }
    if (this.lastRaised.size >= MAX_SUBJECTS) {
      for (const [k, v] of this.lastRaised) if (now - v.at >= cooldownMs) this.lastRaised.delete(k);
      // Still full (a flood of fresh subjects): the oldest are forgotten, memory stays bounded.
      for (const k of this.lastRaised.keys()) {
        if (this.lastRaised.size < MAX_SUBJECTS) break;
        this.lastRaised.delete(k);
      }
    }
    this.lastRaised.set(group, { at: now, held: 0 });
    return { raise: true, held: last?.held ?? 0 };
  }

  private evict(now: number): void {
    for (const [k, w] of this.windows) if (w.idle(now)) this.windows.delete(k);
    // Still full: the oldest subjects go (a flood of fresh names must not grow memory).
    for (const k of this.windows.keys()) {
      if (this.windows.size < MAX_SUBJECTS) break;
      this.windows.delete(k);
    }
  }
}
