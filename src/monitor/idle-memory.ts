/**
 * Gives the memory of a burst back to the OS once the gateway is idle (docs/memory.md).
 *
 * V8 keeps the heap pages a burst needed in a pool after the heap shrinks and returns them only on
 * a memory-reducing GC, which its memory reducer never starts in an idle Node server ("high alloc,
 * foreground": it waits): RSS stays at the high-water mark of the busiest minute for good. So the
 * gateway looks every few seconds, off the request path, and when the event loop did (almost)
 * nothing since the last look and RSS has grown by `growthBytes` since the last reduction, it runs
 * V8's last-resort GC (the one a memory-pressure notification runs: a full GC that also releases
 * the pooled pages). Nothing is added to a request: the signal is the event loop's utilization.
 * A GC that runs while a request arrives delays that request by the pause (tens of milliseconds on
 * a heap of 50-100 MiB); it runs only on an idle loop and at most once per growth step.
 *
 * `gc` is V8's, exposed by `--expose-gc`, which the launcher gives `portcullis run`
 * (bin/heap-flags.cjs). Without it the reducer does not start, and says so at debug level.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

type LastResortGc = (opts: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export interface IdleMemoryOptions {
  /** How often to look, ms. */
  everyMs?: number;
  /** The event loop's utilization over the last period below which the process counts as idle. */
  idleBelow?: number;
  /** RSS growth since the last reduction (or the start) that makes a reduction worth its pause. */
  growthBytes?: number;
  log?: (msg: string) => void;
  /** For tests: the GC, RSS and utilization readers (default: V8's `gc`, `process.memoryUsage.rss`, perf_hooks). */
  gc?: LastResortGc;
  rss?: () => number;
  utilization?: (since?: EventLoopUtilization) => EventLoopUtilization;
}

export interface IdleMemoryReducer {
  /** Reductions run so far. */
  readonly reductions: number;
  /** One look now (what the timer does). */
  check(): void;
  stop(): void;
}

const MiB = 1024 * 1024;

export function startIdleMemoryReducer(opts: IdleMemoryOptions = {}): IdleMemoryReducer | undefined {
  const gc = opts.gc ?? ((globalThis as { gc?: LastResortGc }).gc);
  const log = opts.log ?? (() => {});
  if (typeof gc !== 'function') {
    log('idle memory reducer off: the process was started without --expose-gc (the portcullis launcher adds it to `run`)');
    return undefined;
  }
  const rss = opts.rss ?? (() => process.memoryUsage.rss());
  const elu = opts.utilization ?? ((since) => performance.eventLoopUtilization(since));
  const idleBelow = opts.idleBelow ?? 0.02;
  const growth = opts.growthBytes ?? 32 * MiB;
  let floor = rss();
  let last = elu();
  let reductions = 0;

  const check = () => {
    const now = elu();
    const busy = elu(last).utilization;
    last = now;
    if (busy >= idleBelow) return;
    const before = rss();
    if (before - floor < growth) return;
    const t0 = performance.now();
    try {
      gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    } catch (err) {
      log(`idle memory reducer: gc failed: ${(err as Error).message}`);
      return;
    }
    reductions++;
    // What is still resident after the GC is live: the next reduction waits for new growth above it.
    floor = rss();
    last = elu(); // the GC's own pause is not traffic
    log(`idle memory reducer: RSS ${(before / MiB).toFixed(1)} -> ${(floor / MiB).toFixed(1)} MiB in ${(performance.now() - t0).toFixed(0)} ms`);
  };
  const timer = setInterval(check, opts.everyMs ?? 2000);
  timer.unref();
  return {
    get reductions() {
      return reductions;
    },
    check,
    stop: () => clearInterval(timer),
  };
}
