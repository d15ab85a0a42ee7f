/**
 * `npm run bench [-- --quick | --profile | --memory]`: Portcullis against a bare proxy and its peers, in one
 * run on one machine and one Node (issue 8). Not a test: nothing here matches `test/**\/*.test.ts`.
 *
 * Configurations (each its own process; all load comes from other processes):
 *   B0            client -> mock MCP server (bench/mock-server.ts)
 *   B1            client -> byte proxy (HTTP: bench/byte-proxy.ts, stdio: bench/pipe-proxy.ts) -> mock
 *   G             client -> Portcullis, full policy (bench/configs.ts) -> mock
 *   G-min         client -> Portcullis, every check off -> mock
 *   G (stdio up)  HTTP client -> Portcullis -> stdio mock, the shape the peers have
 *   mcp-proxy, supergateway   HTTP client -> peer -> stdio mock
 *
 * Writes bench/results/latest.{json,md,svg}. `--profile [--size KB]` instead runs G on the HTTP
 * workload (16 KB unless told) under `node --cpu-prof` and writes bench/results/profile-g-16k-http.*.
 * `--ab <bin>[,<bin>...]` measures this tree's G against other builds' (bin/portcullis.cjs), interleaved.
 * `--replicas` measures two replicas against one behind HAProxy on Redis (bench/replicas.ts).
 * `--workers N|auto` measures `run --workers N` against `--workers 1` on Redis (bench/workers.ts).
 * `--memory` runs only the session-churn memory scenario (with `--quick`: its short form) and
 * prints it; it writes no report.
 */
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { installCleanup, stopAll, unexpectedExits } from './procs.ts';
import { runAb } from './ab.ts';
import { benchArgs } from './cli-args.ts';
import { runProfile } from './profile.ts';
import { runReplicas } from './replicas.ts';
import { runWorkers, workersArg } from './workers.ts';
import { writeReport } from './report.ts';
import { runHttp, runHol, runMemory, runPeers, runStdio, type Plan } from './scenarios.ts';
import { machineInfo, type Results } from './results.ts';
import { scratchDir, snapshotTree } from './targets.ts';

const USAGE = `usage: npm run bench [-- <option>]
  (none)              the full run: HTTP, peers, stdio, memory, head-of-line (about 9 min)
  --quick             the same sections, shorter (about 3 min)
  --profile [--size KB] [--config full|min|noaudit|noinspect]
                      G on the HTTP workload under --cpu-prof (16 KB, full unless told)
  --ab <bin>[,<bin>] [--config full|min|noaudit]
                      this tree's G against other builds' bin/portcullis.cjs, interleaved
  --memory            only the session-churn memory scenario (with --quick: its short form)
  --replicas          two replicas against one behind HAProxy on Redis
  --workers N|auto    run --workers N against --workers 1 on Redis
  --help              this text
Results go to bench/results/.`;

// Strict: an unknown option is an error that names it, not a silent full run of several minutes.
const parsed = benchArgs(USAGE, {
  quick: { type: 'boolean' },
  profile: { type: 'boolean' },
  size: { type: 'string' },
  config: { type: 'string' },
  ab: { type: 'string' },
  replicas: { type: 'boolean' },
  memory: { type: 'boolean' },
  workers: { type: 'string' },
});
const argv = process.argv.slice(2);
const quick = parsed.quick === true;
const KB = 1024;

const PLAN: Plan = quick
  ? {
      mode: 'quick',
      sizes: [1 * KB, 16 * KB, 256 * KB],
      latency: { calls: 300, warmup: 50, blocks: 3 },
      throughput: { connections: 64, seconds: 1, warmupSeconds: 0.3, rounds: 1 },
      stdioThroughput: { durationMs: 700, window: 64, warmupMs: 200, rounds: 1 },
      memory: { sessions: 2000, concurrency: 32, idleSeconds: 1, profiles: ['full'] },
      hol: { longMs: 5000, baselineMs: 2000, size: 1 * KB, stdio: false },
      extraVariants: false,
    }
  : {
      mode: 'full',
      sizes: [1 * KB, 16 * KB, 256 * KB],
      latency: { calls: 2000, warmup: 100, blocks: 10 },
      throughput: { connections: 64, seconds: 2, warmupSeconds: 1, rounds: 2 },
      stdioThroughput: { durationMs: 1500, window: 64, warmupMs: 500, rounds: 2 },
      memory: { sessions: 10_000, concurrency: 32, idleSeconds: 5, profiles: ['full', 'min'] },
      hol: { longMs: 30_000, baselineMs: 8_000, size: 1 * KB, stdio: true },
      extraVariants: true,
    };

function log(msg: string): void {
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}
const t0 = performance.now();

async function main(): Promise<number> {
  installCleanup();
  const tree = snapshotTree();
  if (parsed.ab !== undefined) {
    const config = parsed.config ?? 'full';
    if (config !== 'full' && config !== 'min' && config !== 'noaudit') throw new Error(`--config ${config}: give full, min or noaudit`);
    await runAb({ candidates: parsed.ab.split(','), quick, config, log });
    return 0;
  }
  if (parsed.replicas) {
    await runReplicas({ quick, log });
    return 0;
  }
  if (parsed.workers !== undefined) {
    await runWorkers({ workers: workersArg(argv), quick, log });
    return 0;
  }
  if (parsed.profile) {
    const sizeKb = parsed.size === undefined ? 16 : Number(parsed.size);
    if (!Number.isInteger(sizeKb) || sizeKb < 1) throw new Error(`--size ${parsed.size}: give a whole number of KB, 1 or more`);
    const config = parsed.config ?? 'full';
    if (config !== 'full' && config !== 'min' && config !== 'noaudit' && config !== 'noinspect') throw new Error(`--config ${config}: give full, min, noaudit or noinspect`);
    await runProfile({ seconds: quick ? 5 : 15, sizeKb, config, log });
    return 0;
  }
  if (parsed.memory) {
    const results: Results = { machine: machineInfo(), mode: PLAN.mode, startedAt: new Date().toISOString(), plan: PLAN, http: {}, stdio: {}, peers: {}, notes: [] };
    log(`memory only, load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
    await runMemory(PLAN, results, log);
    log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')}`);
    return 0;
  }
  const results: Results = { machine: machineInfo(), mode: PLAN.mode, startedAt: new Date().toISOString(), plan: PLAN, http: {}, stdio: {}, peers: {}, notes: [] };
  results.notes.push(
    `Load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min); other work on the machine shows up as noise, which interleaving spreads over all configurations.`,
    'The mock answers `{"jsonrpc":"2.0","id":N,"result":R}` (the layout of most non-TypeScript SDKs); the TypeScript SDK writes `{"result":R,"jsonrpc":"2.0","id":N}`.',
    'Peers run with their defaults except: mcp-proxy `--server stream --host 127.0.0.1`; supergateway `--stateful --logLevel none` (stateless mode spawns a server per request; info logging writes every message), bound to 127.0.0.1 by a preload (bench/loopback-only.ts).',
    'HTTP rows use 2026-07-28 stateless requests (no session) unless marked "session"; the peer comparison uses one 2025-11-25 session shared by all 64 connections, the same for every peer.',
  );
  let failure: Error | undefined;
  try {
    results.notes.push(`Every gateway ran from a snapshot of src/ and bin/ taken at ${new Date().toISOString()} (${tree}), so the run measured one version of the code.`);
    log(`${PLAN.mode} run on ${results.machine.nproc} CPUs (${results.machine.cpuModel}), Node ${results.machine.node}`);
    // Other work on the machine is the largest source of error: the load is recorded between
    // sections, and the report warns when it exceeded the CPU count.
    const load = (results.load = { start: loadavg()[0], max: loadavg()[0] } as NonNullable<Results['load']>);
    for (const section of [runHttp, runPeers, runStdio, runMemory, runHol]) {
      await section(PLAN, results, log);
      load.max = Math.max(load.max, loadavg()[0]);
    }
  } catch (err) {
    failure = err as Error;
    // A process under test that died on its own is usually the real story behind the error.
    const died = unexpectedExits.map((x) => `${x.name} (pid ${x.pid}) exited with ${x.signal ?? x.code}:\n${x.stderr}`).join('\n');
    results.error = `${failure.stack ?? failure.message}${died ? `\n\nprocesses that died:\n${died}` : ''}`;
    log(`FAILED: ${failure.message}${died ? `\n${died}` : ''}`);
  } finally {
    await stopAll();
  }
  results.elapsedSeconds = (performance.now() - t0) / 1000;
  if (results.load) results.load.end = loadavg()[0];
  const paths = writeReport(results);
  log(`wrote ${paths.join(', ')} in ${results.elapsedSeconds.toFixed(0)} s`);
  return failure ? 1 : 0;
}

main()
  .then(
    (code) => code,
    async (err: Error) => {
      process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
      await stopAll();
      return 1;
    },
  )
  .then((code) => {
    try {
      rmSync(scratchDir(), { recursive: true, force: true });
    } catch {
      // best effort
    }
    process.exit(code);
  });

