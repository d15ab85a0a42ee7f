/**
 * Preloaded (`node --expose-gc --import`) into the gateway of the memory scenario only: on
 * SIGUSR2 it runs a full GC and writes `process.memoryUsage()` to $BENCH_GC_PROBE_FILE, with
 * V8's heap spaces (committed against used) and the kernel's view (/proc/self/smaps_rollup). That
 * tells retained memory (a leak) apart from heap V8 simply has not collected or returned yet, and
 * from native memory (malloc) outside the heap.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const file = process.env.BENCH_GC_PROBE_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { committed: s.physical_space_size, used: s.space_used_size }]));
    let smaps: Record<string, number> = {};
    try {
      smaps = Object.fromEntries([...readFileSync('/proc/self/smaps_rollup', 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)].map((m) => [m[1], Number(m[2]) * 1024]));
    } catch {
      // not Linux
    }
    writeFileSync(file, JSON.stringify({ at: Date.now(), ...process.memoryUsage(), spaces, smaps }));
  });
}
