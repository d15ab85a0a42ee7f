/**
 * `memoryLimit` where no delegated cgroup v2 memory controller can be had (most containers, CI
 * runners, hybrid hosts): a watchdog that measures what the sandbox's processes really use and
 * kills the sandbox when the sum goes over the limit.
 *
 * Why not an rlimit: RLIMIT_AS and RLIMIT_DATA count address space a runtime only reserves. V8
 * reserves its code range as data, so Node 22+ dies at start (`Failed to reserve virtual memory
 * for CodeRange`) under `memoryLimit: 256m`, and most MCP servers are Node servers. What the
 * kernel has really given a process is its PSS (proportional set size: private pages, plus
 * shared ones divided among their sharers), from /proc/PID/smaps_rollup; where that is not
 * readable, RSS from /proc/PID/statm (counts shared pages in full: stricter, never laxer).
 *
 * Which processes: every process of the sandbox's pid namespace, listed by the sandbox's own
 * procfs as the host sees it, /proc/<sandbox init pid>/root/proc (bwrap reports that pid on
 * --info-fd). Children, grandchildren and double-forked daemons are all there, and nothing else
 * is: no scan of the host's process table. The sandbox cannot alter that procfs (no mount, no
 * capabilities).
 *
 * When: every `intervalMs` (200 ms), every `nearIntervalMs` (50 ms) once usage is past half the
 * limit, so a fast allocator is caught soon after it crosses. Between two polls a process can
 * still allocate; the RLIMIT_DATA backstop of limits.ts bounds how far. A sandbox that cannot be
 * measured when it starts is refused (an unmeasured memoryLimit would fail open). Once it ran, a
 * procfs that can no longer be read means the pid namespace is gone, and every process with it.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** statm counts pages: 4 KiB on x86_64, but 16 or 64 KiB on some arm64 kernels. */
const PAGE_SIZE = ((): number => {
  try {
    const fd = openSync('/proc/self/smaps', 'r');
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    const m = /KernelPageSize:\s+(\d+) kB/.exec(buf.toString('latin1', 0, n));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux, or no smaps: the common page size */
  }
  return 4096;
})();
const PSS = /^Pss:\s+(\d+) kB$/m;

export interface MemoryReading {
  bytes: number;
  processes: number;
  /** `pss` when every process's smaps_rollup was readable, else `rss` for those that were not. */
  measure: 'pss' | 'rss';
}

/** One process's memory in bytes, or undefined when it has gone. */
function processBytes(dir: string): { bytes: number; pss: boolean } | undefined {
  try {
    const m = PSS.exec(readFileSync(`${dir}/smaps_rollup`, 'latin1'));
    if (m) return { bytes: Number(m[1]) * 1024, pss: true };
  } catch {
    // Not readable (permissions, or a kernel before 4.14 without smaps_rollup): statm below.
  }
  try {
    const resident = Number(readFileSync(`${dir}/statm`, 'latin1').split(' ')[1]);
    return Number.isFinite(resident) ? { bytes: resident * PAGE_SIZE, pss: false } : undefined;
  } catch {
    return undefined; // the process has gone
  }
}

/** The memory of every process a procfs lists; null when the procfs itself cannot be read. */
export function readProcMemory(procDir: string): MemoryReading | null {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return null;
  }
  let bytes = 0;
  let processes = 0;
  let measure: MemoryReading['measure'] = 'pss';
  for (const e of entries) {
    const c = e.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    const p = processBytes(`${procDir}/${e}`);
    if (!p) continue;
    bytes += p.bytes;
    processes++;
    if (!p.pss) measure = 'rss';
  }
  return { bytes, processes, measure };
}

/**
 * The sandbox's procfs as the host sees it, once bwrap has mounted it. bwrap reports the pid
 * before it has built the sandbox's root: until then `/proc/<pid>/root/proc` is missing, or is
 * the host's own /proc, which would measure every process of the host. A procfs of another pid
 * namespace is another superblock, so the sandbox's is the one whose device differs from ours.
 */
export async function sandboxProcDir(pid: number, timeoutMs = 10_000): Promise<string> {
  const dir = `/proc/${pid}/root/proc`;
  const host = statSync('/proc').dev;
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (statSync(dir).dev !== host && readdirSync(dir).includes('1')) return dir;
    } catch {
      /* not there yet */
    }
    if (Date.now() > end) throw new Error(`the sandbox's /proc (${dir}) did not appear within ${timeoutMs / 1000}s`);
    await sleep(10);
  }
}

export interface MemoryWatchdogOptions {
  /** The sandbox's procfs as the host sees it: `/proc/<init pid>/root/proc`. */
  procDir: string;
  limitBytes: number;
  /** Over the limit: called once, then the watchdog stops. */
  onExceeded: (reading: MemoryReading) => void;
  intervalMs?: number;
  nearIntervalMs?: number;
}

export const WATCHDOG_INTERVAL_MS = 200;
export const WATCHDOG_NEAR_INTERVAL_MS = 50;

export class MemoryWatchdog {
  private readonly o: Required<MemoryWatchdogOptions>;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(o: MemoryWatchdogOptions) {
    this.o = { intervalMs: WATCHDOG_INTERVAL_MS, nearIntervalMs: WATCHDOG_NEAR_INTERVAL_MS, ...o };
  }

  /**
   * Measure now, before the server runs, then keep polling. Null: the sandbox cannot be measured
   * (it must not run); the watchdog is then stopped.
   */
  start(): MemoryReading | null {
    const r = readProcMemory(this.o.procDir);
    if (!r || r.processes === 0) {
      this.stop();
      return null;
    }
    this.check(r);
    return r;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private check(r: MemoryReading): void {
    if (this.stopped) return;
    if (r.bytes > this.o.limitBytes) {
      this.stop();
      this.o.onExceeded(r);
      return;
    }
    const near = r.bytes * 2 > this.o.limitBytes;
    this.timer = setTimeout(() => this.tick(), near ? this.o.nearIntervalMs : this.o.intervalMs);
    // The watchdog never keeps the gateway alive on its own.
    this.timer.unref();
  }

  private tick(): void {
    const r = readProcMemory(this.o.procDir);
    // Unreadable once running: the pid namespace is gone, and every process in it.
    if (!r || r.processes === 0) return this.stop();
    this.check(r);
  }
}
