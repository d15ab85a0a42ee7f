/**
 * The load generators, each its own process: autocannon (HTTP throughput), `http-client.ts`
 * (HTTP latency, sessions, the long call) and `stdio-driver.ts` (everything over stdio).
 * CPU of the proxy under test is read from /proc around the measured run only.
 */
import { join } from 'node:path';
import type { CannonJob } from './cannon.ts';
import type { LatencyTarget } from './http-client.ts';
import type { HttpForm } from './mcp-wire.ts';
import type { StdioJob } from './stdio-driver.ts';
import { start } from './procs.ts';
import type { LatencySummary } from './stats.ts';
import { BENCH, NODE } from './targets.ts';


export interface Throughput {
  rps: number;
  requests: number;
  seconds: number;
  /** Load-generator view of latency under load (ms). */
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  /** CPU seconds the proxy process used during the measured run, per request (ms). */
  cpuMsPerRequest?: number;
  cpuSeconds?: number;
  /** req/s of each interleaved round, to show the spread. */
  roundsRps?: number[];
}

async function collect(name: string, command: string, args: string[], timeoutMs: number): Promise<string> {
  const t = start(name, command, args, { stdio: ['ignore', 'pipe', 'pipe'] }, 64 * 1024 * 1024);
  const timer = setTimeout(() => t.proc.kill('SIGKILL'), timeoutMs);
  const code = await t.exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${t.stderr().slice(-3000)}`);
  return t.stdout();
}

/** Throughput at `connections` concurrent clients, every target and size (bench/cannon.ts). */
export async function httpThroughput(job: CannonJob): Promise<Record<string, Record<string, Throughput>>> {
  const budget = job.targets.length * job.sizes.length * job.rounds * (job.seconds + job.warmupSeconds + 30) * 1000 + 60_000;
  return JSON.parse(await collect('autocannon', NODE, [join(BENCH, 'cannon.ts'), JSON.stringify(job)], budget)) as Record<string, Record<string, Throughput>>;
}

export interface HttpLatency extends LatencySummary {
  errors: number;
  firstError?: string;
  /** Raw per-call times (ms), for timed runs only. */
  times?: number[];
}

/** One client, one call at a time; targets interleaved in blocks (bench/http-client.ts). */
export async function httpLatencies(job: { targets: LatencyTarget[]; sizes: number[]; calls: number; warmup: number; blocks: number }): Promise<Record<string, Record<string, HttpLatency>>> {
  const budget = job.targets.length * job.sizes.length * (job.calls + job.warmup) * 100 + 60_000;
  const r = JSON.parse(await collect('http-latency', NODE, [join(BENCH, 'http-client.ts'), 'latency', JSON.stringify(job)], budget)) as Record<string, Record<string, HttpLatency>>;
  for (const [name, bySize] of Object.entries(r)) {
    for (const [size, x] of Object.entries(bySize)) if (x.errors) throw new Error(`latency ${name} (${size} B): ${x.errors} errors: ${x.firstError}`);
  }
  return r;
}

/** One target, one size, one call at a time for `durationMs`; raw times included. */
export async function httpTimed(job: { target: LatencyTarget; size: number; warmup: number; durationMs: number }): Promise<HttpLatency> {
  const r = JSON.parse(await collect('http-timed', NODE, [join(BENCH, 'http-client.ts'), 'timed', JSON.stringify(job)], job.durationMs + 120_000)) as HttpLatency;
  if (r.errors) throw new Error(`timed latency ${job.target.name}: ${r.errors} errors: ${r.firstError}`);
  return r;
}

export interface SessionsResult {
  opened: number;
  deleted: number;
  abandoned: number;
  failed: number;
  firstError?: string;
  openMs: number;
}

export async function httpSessions(url: string, count: number, concurrency: number): Promise<SessionsResult> {
  return JSON.parse(await collect('http-sessions', NODE, [join(BENCH, 'http-client.ts'), 'sessions', url, String(count), String(concurrency)], 300_000)) as SessionsResult;
}

/** Starts the long call; resolves when it has been answered. */
export function httpLongCall(url: string, form: HttpForm, ms: number): Promise<{ status: number; elapsedMs: number; body: string }> {
  return collect('http-long', NODE, [join(BENCH, 'http-client.ts'), 'long', url, form, String(ms)], ms + 60_000).then((s) => JSON.parse(s));
}

export interface StdioSizeResult {
  /** `cpuMsPerCall`: the proxy's CPU over the sequential calls ÷ calls. */
  latency?: LatencySummary & { errors: number; cpuMsPerCall?: number };
  throughput?: { requests: number; seconds: number; rps: number; cpuSeconds: number; cpuMsPerRequest: number; roundsRps: number[] };
}

export type StdioResult = Record<string, { pid: number; hol?: { baseline: LatencySummary; withLong: LatencySummary; longCallMs: number }; [size: string]: unknown }>;

/** Runs a job against its targets, each started by the driver (the driver is their only client). */
export async function stdioRun(job: StdioJob, budgetMs: number): Promise<StdioResult> {
  return JSON.parse(await collect('stdio-driver', NODE, [join(BENCH, 'stdio-driver.ts'), JSON.stringify(job)], budgetMs)) as StdioResult;
}
