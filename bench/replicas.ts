/**
 * `npm run bench -- --replicas [--quick]`: throughput of two `portcullis run` replicas against one,
 * each behind its own HAProxy (round robin, no stickiness; the same balancer cost on both sides),
 * sharing one Redis (`mcp.state.url`, a redis-server of the bench's own) — and, for reference, one
 * replica with in-process state behind the same kind of balancer. Profile G (every check on), the
 * HTTP mock upstream, 1 KB results, 2026-07-28 stateless calls and 2025-11-25 session calls (the
 * session opened through the balancer, so its calls land on both replicas). Measured interleaved
 * (bench/cannon.ts). The machine's core count goes beside the numbers: on a machine where the load
 * generator, HAProxy, Redis and the upstream share the cores with the replicas, two replicas can
 * only add what cores are left.
 *
 * Writes bench/results/replicas.{json,md}.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startHaproxy, type LoadBalancer } from '../test/helpers/load-balancer.ts';
import { privateRedis } from '../test/helpers/redis.ts';
import type { CannonTarget } from './cannon.ts';
import { gatewayYaml } from './configs.ts';
import { httpThroughput } from './load.ts';
import { callBody, callHeaders, openSession } from './mcp-wire.ts';
import { start, stop, waitFor, type Tracked } from './procs.ts';
import { machineInfo } from './results.ts';
import { BENCH, freePort, NODE, portcullis, scratchDir, startMockHttp } from './targets.ts';

export interface Replica {
  proc: Tracked;
  address: string;
  pid: number;
}

/** `portcullis run` with profile G in front of `upstreamUrl`; `args` go to `run` (e.g. `--workers 4`). */
export async function startReplica(name: string, upstreamUrl: string, lbPorts: number[], redisUrl?: string, opts: { args?: string[]; keyPrefix?: string } = {}): Promise<Replica> {
  const dir = mkdtempSync(join(scratchDir(), `${name}-`));
  let yaml = gatewayYaml('full', { url: upstreamUrl }, { auditPath: join(dir, 'audit.log') });
  yaml = yaml.replace('  listen: { host: 127.0.0.1, port: 0, path: /mcp }', `  listen: { host: 127.0.0.1, port: 0, path: /mcp, allowedHosts: ${JSON.stringify([...lbPorts.map((p) => `127.0.0.1:${p}`), '127.0.0.1'])} }`);
  if (redisUrl) yaml = yaml.replace(/^mcp:\n/, `mcp:\n  state: { dir: ${JSON.stringify(join(dir, 'state'))}, url: "${redisUrl}", keyPrefix: "${opts.keyPrefix ?? 'bench:'}" }\n`);
  const config = join(dir, 'portcullis.yaml');
  writeFileSync(config, yaml);
  const proc = start(name, NODE, [portcullis(), 'run', '--config', config, ...(opts.args ?? [])], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  // Start-up on a loaded shared machine can take a while (every file is type-stripped on load).
  const m = await waitFor(proc, /listening on (http:\/\/\S+)/, 120_000);
  return { proc, address: new URL(m[1]).host, pid: proc.proc.pid! };
}

export async function warmCall(t: CannonTarget): Promise<void> {
  const res = await fetch(t.url, { method: 'POST', headers: callHeaders('blob', t.form, t.sessionId), body: callBody(1, 'blob', { size: 1024 }, t.form) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${t.name}: warm-up call answered HTTP ${res.status}`);
}

export async function runReplicas(opts: { quick: boolean; log: (m: string) => void }): Promise<void> {
  const machine = machineInfo();
  const redis = await privateRedis();
  const replicas: Replica[] = [];
  const balancers: LoadBalancer[] = [];
  const mock = await startMockHttp();
  try {
    const [portOne, portTwo, portMem] = [await freePort(), await freePort(), await freePort()];
    const ports = [portOne, portTwo, portMem];
    // Replica a is behind both the one-replica and the two-replica balancer (measured in turn).
    const [a, b, mem] = await Promise.all([startReplica('replica-a', mock.url, ports, redis.url), startReplica('replica-b', mock.url, ports, redis.url), startReplica('replica-mem', mock.url, ports)]);
    replicas.push(a, b, mem);
    const lbDir = () => mkdtempSync(join(scratchDir(), 'haproxy-'));
    const one = await startHaproxy(lbDir(), portOne, [{ address: a.address }]);
    balancers.push(one);
    const two = await startHaproxy(lbDir(), portTwo, [{ address: a.address }, { address: b.address }]);
    balancers.push(two);
    const memLb = await startHaproxy(lbDir(), portMem, [{ address: mem.address }]);
    balancers.push(memLb);
    // Reference: replica a without a balancer (what HAProxy itself costs).
    const targets: CannonTarget[] = [{ name: '1 replica, Redis, no balancer (2026-07-28)', url: `http://${a.address}/mcp`, form: 'stateless' }];
    for (const [name, lb] of [['1 replica, Redis', one], ['2 replicas, Redis', two], ['1 replica, in-process state', memLb]] as const) {
      targets.push({ name: `${name} (2026-07-28)`, url: lb.url, form: 'stateless' });
      targets.push({ name: `${name} (2025-11-25 session)`, url: lb.url, form: 'session', sessionId: await openSession(lb.url) });
    }
    // Warm every replica through every path first (JIT, upstream connection, Redis scripts): the
    // first calls of a fresh process take seconds on a loaded machine and are not what is measured.
    for (const t of targets) for (let i = 0; i < 40; i++) await warmCall(t);
    const load = { start: loadavg()[0] };
    const r = await httpThroughput({ targets, sizes: [1024], connections: 64, seconds: opts.quick ? 1.5 : 3, warmupSeconds: opts.quick ? 1 : 2, rounds: opts.quick ? 1 : 3 });
    const end = loadavg()[0];
    const rows = targets.map((t) => ({ target: t.name, ...r[t.name]['1024'] }));
    const lines = [
      `# Replicas behind HAProxy: throughput`,
      '',
      `Machine: **${machine.nproc} cores** (${machine.cpuModel}), ${machine.memTotalGiB} GiB, Node ${machine.node}. 1-minute load average ${load.start.toFixed(1)} at the start, ${end.toFixed(1)} at the end (the machine is shared).`,
      `Profile G (every check on), HTTP mock upstream, 1 KB results, 64 connections, ${opts.quick ? '1 round of 1.5 s' : '3 interleaved rounds of 3 s'} per target. Every process (autocannon, HAProxy, Redis, the mock, the replicas) runs on these ${machine.nproc} cores.`,
      '',
      '| target | req/s | p50 ms | p99 ms | errors | non-2xx | req/s per round |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...rows.map((x) => `| ${x.target} | ${Math.round(x.rps)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} | ${(x.roundsRps ?? []).map(Math.round).join(', ')} |`),
      '',
      `Command: \`npm run bench -- --replicas${opts.quick ? ' --quick' : ''}\``,
    ];
    writeFileSync(join(BENCH, 'results', 'replicas.json'), JSON.stringify({ machine, load: { start: load.start, end }, quick: opts.quick, results: rows }, null, 2) + '\n');
    writeFileSync(join(BENCH, 'results', 'replicas.md'), lines.join('\n') + '\n');
    opts.log(lines.join('\n'));
  } finally {
    for (const lb of balancers) await lb.stop();
    for (const x of replicas) await stop(x.proc);
    await stop(mock.proc);
    await redis.kill();
  }
}
