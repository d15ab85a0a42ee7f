/**
 * The gateway's requests to one server that wait for their answer, by the gateway's own id. Each
 * has a deadline; whatever ends a request (its answer, a failure, the server going down) removes
 * it, and one timer per server, set for the earliest deadline, times out whatever is still
 * waiting at its deadline (never before it, at most about a millisecond after: the event loop's
 * clock). One timer a server rather than one a request: a request no longer creates, files and
 * cancels a timer of its own (a timer list of its own, too, whenever it is the only one in flight).
 */
import type { GatewayError } from '../errors.ts';
import type { UpstreamResponse } from './upstream.ts';

interface Pending {
  resolve: (r: UpstreamResponse) => void;
  reject: (e: GatewayError) => void;
  /** performance.now() at which it times out. */
  deadline: number;
  /** Runs once the deadline has passed, after the request was removed. */
  onTimeout: () => void;
  method: string;
}

const MAX_DELAY = 2 ** 31 - 1;

export class PendingRequests {
  private readonly map = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (performance.now()); Infinity when none is set. */
  private timerAt = Infinity;

  get size(): number {
    return this.map.size;
  }

  has(id: number): boolean {
    return this.map.has(id);
  }

  keys(): IterableIterator<number> {
    return this.map.keys();
  }

  add(id: number, p: Pending): void {
    this.map.set(id, p);
    if (p.deadline < this.timerAt) this.arm(p.deadline);
    // Only requests in flight keep the process alive, as their own timers did.
    else if (this.map.size === 1) this.timer?.ref();
  }

  /** Forget a request without settling it (its send failed). */
  drop(id: number): boolean {
    return this.remove(id) !== undefined;
  }

  /** Settle request `id` with its answer; false when nothing waits for it (late, cancelled). */
  resolve(id: number, r: UpstreamResponse): boolean {
    const p = this.remove(id);
    p?.resolve(r);
    return p !== undefined;
  }

  /** Fail request `id` now, if it still waits. */
  fail(id: number | undefined, err: GatewayError): void {
    if (id !== undefined) this.remove(id)?.reject(err);
  }

  /** Fail every request that waits (the server went down, was isolated, the gateway stops). */
  failAll(err: GatewayError): void {
    for (const id of [...this.map.keys()]) this.fail(id, err);
  }

  private remove(id: number): Pending | undefined {
    const p = this.map.get(id);
    if (!p) return undefined;
    this.map.delete(id);
    if (this.map.size === 0) this.timer?.unref();
    return p;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    // setTimeout takes at most 2^31-1 ms (a longer delay becomes 1 ms): a farther deadline is
    // looked at again then.
    this.timer = setTimeout(this.sweep, Math.min(MAX_DELAY, Math.max(1, Math.ceil(at - performance.now()))));
    if (this.map.size === 0) this.timer.unref();
  }

  /** Times out every request whose deadline has passed, then sets the timer for the next one. */
  private readonly sweep = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const due: Pending[] = [];
    for (const [id, p] of this.map) {
      if (p.deadline <= now) {
        this.map.delete(id);
        due.push(p);
      } else if (p.deadline < next) next = p.deadline;
    }
    if (next < Infinity) this.arm(next);
    // After the timer is set again: a timeout's own work may send (and add) a request.
    for (const p of due) p.onTimeout();
  };
}
