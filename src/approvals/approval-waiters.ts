/**
 * The calls of one process waiting for decisions, by approval id: what every approval store's
 * `wait` keeps locally, whatever tells it about a decision (its own `decide`, a file it polls, a
 * Redis channel). A decision wakes every waiter of its id once; an abort resolves one `undefined`.
 */
import type { ApprovalDecision } from './approval-store.ts';

export class ApprovalWaiters {
  private readonly waiting = new Map<string, Set<(d: ApprovalDecision | undefined) => void>>();
  private readonly onIdle: () => void;

  /** `onIdle`: called when the last waiter is gone (a store stops polling). */
  constructor(onIdle: () => void = () => {}) {
    this.onIdle = onIdle;
  }

  get size(): number {
    return this.waiting.size;
  }

  ids(): string[] {
    return [...this.waiting.keys()];
  }

  has(id: string): boolean {
    return this.waiting.has(id);
  }

  /** Resolves with the decision on `id` once `wake` is called with one, or `undefined` on abort. */
  add(id: string, signal: AbortSignal): Promise<ApprovalDecision | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let set = this.waiting.get(id);
      if (!set) this.waiting.set(id, (set = new Set()));
      const done = (d: ApprovalDecision | undefined) => {
        set.delete(done);
        if (!set.size) this.waiting.delete(id);
        signal.removeEventListener('abort', onAbort);
        if (!this.waiting.size) this.onIdle();
        resolve(d);
      };
      const onAbort = () => done(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(done);
    });
  }

  wake(id: string, d: ApprovalDecision): void {
    for (const fn of [...(this.waiting.get(id) ?? [])]) fn(d);
  }
}
