/**
 * Resource limits for a sandboxed server, and which mechanism enforces each one.
 *
 * With a delegated cgroup v2 (memory and pids controllers), memory is `memory.max` (resident
 * memory of the whole sandbox, swap off), processes are `pids.max`, and CPU is `cpu.max`. Without
 * one, memory is watched, and the other fallbacks are per-process rlimits set by util-linux
 * `prlimit` inside the sandbox (argv, no shell), and CPU affinity for `cpuLimit`:
 *   - memory → the memory watchdog (memory-watchdog.ts): the PSS of every process of the sandbox,
 *     polled, the sandbox killed over the limit. Not an rlimit: RLIMIT_AS and RLIMIT_DATA count
 *     address space V8, the JVM and Go only reserve — Node 22+ does not even start under
 *     RLIMIT_DATA 256m (V8's code range). RLIMIT_DATA stays only as a backstop far above the limit
 *     (4x, at least 2 GiB), bounding what one process can take between two polls;
 *   - processes → RLIMIT_NPROC, applied inside the sandbox's user namespace, where the kernel
 *     counts only that sandbox's tasks (set outside it, it would count every process of the host
 *     user). It never binds a process whose host uid is 0: hence a root gateway runs its sandboxes
 *     as an unprivileged host user (`hostUid`);
 *   - cpuLimit → the sandbox is pinned to ceil(cpuLimit) CPUs (taskset), and seccomp stops it from
 *     widening its own mask. A cap on parallelism, not on a fraction of one CPU.
 * Open files (RLIMIT_NOFILE), file size (RLIMIT_FSIZE) and core dumps (RLIMIT_CORE = 0: a dump
 * would write the server's secrets to disk) are rlimits in both cases.
 */
import type { Security } from '../config/schema.ts';
import { WATCHDOG_INTERVAL_MS, WATCHDOG_NEAR_INTERVAL_MS } from './memory-watchdog.ts';

export type SandboxSettings = Security['sandbox'];

/** '512m' → bytes. The schema only lets `\d+[kmg]?` through. */
export function parseSize(s: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(s.trim());
  if (!m) throw new Error(`not a size: ${s}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

export interface CgroupLimits {
  memoryMax?: number;
  pidsMax: number;
  /** cpu.max: quota and period in microseconds. */
  cpuMax?: { quota: number; period: number };
}

export interface LimitPlan {
  /** Arguments to `prlimit` (before `--`). */
  prlimit: string[];
  cgroup?: CgroupLimits;
  /** CPUs to pin to (taskset list), when cpuLimit is enforced by affinity. */
  cpuList?: string;
  /** memoryLimit in bytes, when the memory watchdog enforces it (no cgroup v2 memory controller). */
  memoryWatchdog?: number;
  /** Human-readable: each limit and what enforces it (logged, audited, shown by doctor). */
  inForce: Record<string, string>;
}

export interface LimitHost {
  /** A delegated cgroup v2 with these controllers is usable for this sandbox. */
  cgroupControllers: ReadonlySet<string>;
  cpuCount: number;
  /** Which CPU to start pinning at (spreads several sandboxes over the host). */
  cpuOffset: number;
}

export const CPU_PERIOD_US = 100_000;

/** RLIMIT_DATA beside the watchdog: far above the limit, so only a runaway between polls meets it. */
export function dataBackstop(memoryBytes: number): number {
  return Math.max(4 * memoryBytes, 2 * 1024 ** 3);
}

const mib = (n: number): string => (n % 1024 ** 3 === 0 ? `${n / 1024 ** 3}g` : `${Math.round(n / 1024 ** 2)}m`);

export function planLimits(s: SandboxSettings, host: LimitHost): LimitPlan {
  const useCgroup = host.cgroupControllers.has('memory') && host.cgroupControllers.has('pids');
  const inForce: Record<string, string> = {};
  const prlimit = [`--nofile=${s.maxOpenFiles}`, `--fsize=${parseSize(s.maxFileSize)}`, '--core=0'];
  inForce.openFiles = `${s.maxOpenFiles} (RLIMIT_NOFILE)`;
  inForce.fileSize = `${s.maxFileSize} (RLIMIT_FSIZE)`;
  let cgroup: CgroupLimits | undefined;
  let cpuList: string | undefined;
  let memoryWatchdog: number | undefined;
  const memory = s.memoryLimit ? parseSize(s.memoryLimit) : undefined;
  if (useCgroup) {
    cgroup = { pidsMax: s.maxProcesses, memoryMax: memory };
    inForce.processes = `${s.maxProcesses} (cgroup v2 pids.max)`;
    inForce.memory = memory ? `${s.memoryLimit} (cgroup v2 memory.max, swap off)` : 'not limited (no memoryLimit)';
    // RLIMIT_NPROC as well: it costs nothing and survives a cgroup that is later torn down.
    prlimit.push(`--nproc=${s.maxProcesses}`);
  } else {
    prlimit.push(`--nproc=${s.maxProcesses}`);
    inForce.processes = `${s.maxProcesses} (RLIMIT_NPROC in the sandbox's user namespace; no delegated cgroup v2 pids controller)`;
    if (memory) {
      memoryWatchdog = memory;
      prlimit.push(`--data=${dataBackstop(memory)}`);
      inForce.memory = `${s.memoryLimit} (watchdog: PSS of all the sandbox's processes, polled every ${WATCHDOG_INTERVAL_MS} ms, ${WATCHDOG_NEAR_INTERVAL_MS} ms past half the limit, sandbox killed over it; RLIMIT_DATA ${mib(dataBackstop(memory))} per process as a backstop; no delegated cgroup v2 memory controller)`;
    } else {
      inForce.memory = 'not limited (no memoryLimit)';
    }
  }
  if (s.cpuLimit !== undefined) {
    if (useCgroup && host.cgroupControllers.has('cpu')) {
      cgroup!.cpuMax = { quota: Math.max(1000, Math.round(s.cpuLimit * CPU_PERIOD_US)), period: CPU_PERIOD_US };
      inForce.cpu = `${s.cpuLimit} CPU (cgroup v2 cpu.max)`;
    } else {
      const n = Math.ceil(s.cpuLimit);
      if (n >= host.cpuCount) {
        inForce.cpu = `not limited: cpuLimit ${s.cpuLimit} ≥ the host's ${host.cpuCount} CPUs and no cgroup v2 cpu controller`;
      } else {
        const cpus = Array.from({ length: n }, (_, i) => (host.cpuOffset + i) % host.cpuCount);
        cpuList = cpus.join(',');
        inForce.cpu = `${n} CPU(s) by affinity (cpus ${cpuList}; no cgroup v2 cpu controller)`;
      }
    }
  }
  return { prlimit, cgroup, cpuList, memoryWatchdog, inForce };
}
