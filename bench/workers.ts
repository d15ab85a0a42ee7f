/**
 * `npm run bench -- --workers N [--quick]`: throughput of one `portcullis run --workers N` against
 * `--workers 1`, the same configuration (profile G, every check on) with its state in one Redis (a
 * redis-server of the bench's own; each gateway its own key prefix), the HTTP mock upstream, 1 KB
 * results, 2026-07-28 stateless calls and 2025-11-25 session calls. No balancer: the cluster's
 * primary spreads the connections. Measured interleaved (bench/cannon.ts), 64 connections from one
 * autocannon process. The machine's core count is printed beside the numbers: the load generator,
 * Redis and the mock share those cores with the workers, so N workers can only add what is left;
 * on a machine with few cores the ratio measures the machine, not the gateway.
 *
 * Writes bench/results/workers.{json,md}.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { privateRedis } from '../test/helpers/redis.ts';
import type { CannonTarget } from './cannon.ts';
import { httpThroughput } from './load.ts';
import { openSession } from './mcp-wire.ts';
import { stop } from './procs.ts';
import { startReplica, warmCall, type Replica } from './replicas.ts';
import { machineInfo } from './results.ts';
import { BENCH, startMockHttp } from './targets.ts';

/** `--workers N` or `--workers auto` (the machine's available parallelism). */
export function workersArg(argv: string[]): number {
  const v = argv[argv.indexOf('--workers') + 1];
  const n = v === 'auto' ? availableParallelism() : Number(v);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--workers ${v ?? ''}: give a number of workers of 2 or more (or auto), to compare with one`);
  return n;
}

export async function runWorkers(opts: { workers: number; quick: boolean; log: (m: string) => void }): Promise<void> {
  const machine = machineInfo();
  const n = opts.workers;
  const redis = await privateRedis();
  const mock = await startMockHttp();
  const gateways: Replica[] = [];
  try {
    opts.log(`starting --workers 1 and --workers ${n} on ${machine.nproc} cores`);
    const [one, many] = await Promise.all([
      startReplica('workers-1', mock.url, [], redis.url, { args: ['--workers', '1'], keyPrefix: 'bench-w1:' }),
      startReplica(`workers-${n}`, mock.url, [], redis.url, { args: ['--workers', String(n)], keyPrefix: `bench-w${n}:` }),
    ]);
    gateways.push(one, many);
    const targets: CannonTarget[] = [];
    for (const [name, g] of [['--workers 1', one], [`--workers ${n}`, many]] as const) {
      const url = `http://${g.address}/mcp`;
      targets.push({ name: `${name} (2026-07-28)`, url, form: 'stateless' });
      targets.push({ name: `${name} (2025-11-25 session)`, url, form: 'session', sessionId: await openSession(url) });
    }
    // JIT, upstream connections, Redis scripts; the cannon's own warm-up then reaches every worker.
    for (const t of targets) for (let i = 0; i < 40; i++) await warmCall(t);
    const start = loadavg()[0];
    const r = await httpThroughput({ targets, sizes: [1024], connections: 64, seconds: opts.quick ? 1.5 : 3, warmupSeconds: opts.quick ? 1 : 2, rounds: opts.quick ? 1 : 3 });
    const end = loadavg()[0];
    const rows = targets.map((t) => ({ target: t.name, ...r[t.name]['1024'] }));
    const ratio = (form: string) => {
      const [a, b] = [rows.find((x) => x.target === `--workers 1 (${form})`)!, rows.find((x) => x.target === `--workers ${n} (${form})`)!];
      return a.rps > 0 ? (b.rps / a.rps).toFixed(2) : 'n/a';
    };
    const lines = [
      `# Workers: --workers ${n} against --workers 1, throughput`,
      '',
      `Machine: **${machine.nproc} cores** (${machine.cpuModel}), ${machine.memTotalGiB} GiB, Node ${machine.node}. 1-minute load average ${start.toFixed(1)} at the start, ${end.toFixed(1)} at the end.`,
      `Profile G (every check on), state in Redis (mcp.state.url), HTTP mock upstream, 1 KB results, 64 connections from one autocannon process, ${opts.quick ? '1 round of 1.5 s' : '3 interleaved rounds of 3 s'} per target. The load generator, Redis and the mock run on the same ${machine.nproc} cores as the workers.`,
      '',
      '| target | req/s | p50 ms | p99 ms | errors | non-2xx | req/s per round |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map((x) => `| ${x.target} | ${Math.round(x.rps)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} | ${(x.roundsRps ?? []).map(Math.round).join(', ')} |`),
      '',
      `Throughput of ${n} workers ÷ 1 worker on ${machine.nproc} cores: **${ratio('2026-07-28')}** (2026-07-28), **${ratio('2025-11-25 session')}** (2025-11-25 session).`,
      '',
      `Command: \`npm run bench -- --workers ${n}${opts.quick ? ' --quick' : ''}\``,
    ];
    writeFileSync(join(BENCH, 'results', 'workers.json'), JSON.stringify({ machine, workers: n, load: { start, end }, quick: opts.quick, results: rows }, null, 2) + '\n');
    writeFileSync(join(BENCH, 'results', 'workers.md'), lines.join('\n') + '\n');
    opts.log(lines.join('\n'));
  } finally {
    for (const g of gateways) await stop(g.proc, 30_000);
    await stop(mock.proc);
    await redis.kill();
  }
}
