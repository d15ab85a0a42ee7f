/**
 * Preloaded (`node --expose-gc --import`) into the gateway of the memory scenario only: on
 * SIGUSR2 it runs a full GC and writes `process.memoryUsage()` to $BENCH_GC_PROBE_FILE. That tells
 * retained memory (a leak) apart from heap V8 simply has not collected or returned yet.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_GC_PROBE_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    (globalThis as { gc?: () => void }).gc?.();
    writeFileSync(file, JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
  });
}
