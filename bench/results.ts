/** The shape of bench/results/latest.json, and the machine it was measured on. */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { HttpLatency, Throughput } from './load.ts';
import type { LatencySummary } from './stats.ts';

export interface SizeResult {
  latency?: LatencySummary & { errors?: number };
  throughput?: Throughput;
}

export interface ConfigResult {
  /** What the configuration is, in words. */
  what: string;
  form: 'stateless' | 'session' | 'stdio';
  sizes: Record<string, SizeResult>;
}

export interface MemoryResult {
  sessionsOpened: number;
  sessionsDeleted: number;
  sessionsAbandoned: number;
  failed: number;
  idleSeconds: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterIdleMiB: number;
  rssAfterTrafficMiB: number;
  /** rssAfterIdle / rssBefore: the figure the goal is about. */
  ratio: number;
  /** Sessions the audit log shows closed by the idle sweep (full profile only). */
  idleClosedInAudit?: number;
  waitedSeconds: number;
  /** Diagnostics after a forced full GC (bench/gc-probe.ts): retained memory vs uncollected heap. */
  afterFullGc?: { heapUsedBeforeMiB: number; heapUsedAfterMiB: number; rssBeforeMiB: number; rssAfterMiB: number; externalBeforeMiB: number; externalAfterMiB: number };
}

export interface HolResult {
  where: string;
  longMs: number;
  size: number;
  baseline: LatencySummary;
  withLong: LatencySummary;
  longCallMs: number;
  /** (p99 with − p99 without) ÷ p99 without. */
  p99Increase: number;
}

export interface Results {
  machine: ReturnType<typeof machineInfo>;
  mode: 'quick' | 'full';
  startedAt: string;
  elapsedSeconds?: number;
  plan: unknown;
  http: Record<string, ConfigResult>;
  stdio: Record<string, ConfigResult>;
  peers: Record<string, ConfigResult>;
  memory?: Record<string, MemoryResult>;
  hol?: Record<string, HolResult>;
  notes: string[];
  error?: string;
  /** 1-minute load average at the start and end of the run, and the highest seen between sections. */
  load?: { start: number; end?: number; max: number };
}

export function machineInfo() {
  let model = cpus()[0]?.model ?? 'unknown';
  let memTotal = totalmem();
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? model;
    const kb = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb) memTotal = Number(kb) * 1024;
  } catch {
    // not Linux: os module figures stand
  }
  return {
    nproc: availableParallelism(),
    cpuModel: model,
    memTotalGiB: Math.round((memTotal / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export type { HttpLatency };
