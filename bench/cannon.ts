/**
 * HTTP throughput load, as its own process: autocannon (programmatic API).
 *
 * Every target of a section is measured in interleaved rounds (size by size; in each round every
 * target once, the order rotated), so a slow spell of a shared 2-CPU machine lands on all of them
 * rather than on whichever happened to run then. Each measurement is a short warm-up and then the
 * measured run, with the target's CPU read from /proc around the measured run only.
 * Prints one JSON line: target -> size -> figures.
 *
 *   node bench/cannon.ts '<job json>'
 */
import { createRequire } from 'node:module';
import { callBody, callHeaders, type HttpForm } from './mcp-wire.ts';
import { cpuSeconds } from './procs.ts';

export interface CannonTarget {
  name: string;
  url: string;
  form: HttpForm;
  sessionId?: string;
  cpuPid?: number;
}

export interface CannonJob {
  targets: CannonTarget[];
  sizes: number[];
  connections: number;
  /** Measured seconds per target, size and round. */
  seconds: number;
  warmupSeconds: number;
  rounds: number;
}

interface Result {
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  '2xx': number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<Result>;

function fire(autocannon: Autocannon, t: CannonTarget, size: number, connections: number, seconds: number): Promise<Result> {
  return autocannon({
    url: t.url,
    method: 'POST',
    connections,
    duration: seconds,
    timeout: 30,
    headers: callHeaders('blob', t.form, t.sessionId),
    // `[<id>]` becomes a fresh id per request: a session refuses a duplicate id in flight.
    body: callBody('[<id>]', 'blob', { size }, t.form),
    idReplacement: true,
  });
}

async function main(job: CannonJob): Promise<Record<string, Record<string, unknown>>> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const out: Record<string, Record<string, unknown>> = {};
  for (const t of job.targets) out[t.name] = {};
  for (const size of job.sizes) {
    const acc = new Map(job.targets.map((t) => [t.name, { ok: 0, secs: 0, cpu: 0, errors: 0, non2xx: 0, timeouts: 0, p50: [] as number[], p99: [] as number[], rounds: [] as number[] }]));
    for (let round = 0; round < job.rounds; round++) {
      for (let k = 0; k < job.targets.length; k++) {
        const t = job.targets[(k + round) % job.targets.length];
        // The first round warms each target up fully; later rounds only refill connections.
        const warm = round === 0 ? job.warmupSeconds : Math.min(job.warmupSeconds, 0.3);
        if (warm > 0) await fire(autocannon, t, size, job.connections, warm);
        const cpu0 = t.cpuPid ? cpuSeconds(t.cpuPid) : 0;
        const r = await fire(autocannon, t, size, job.connections, job.seconds);
        const a = acc.get(t.name)!;
        if (t.cpuPid) a.cpu += cpuSeconds(t.cpuPid) - cpu0;
        a.ok += r['2xx'];
        a.secs += r.duration;
        a.errors += r.errors;
        a.non2xx += r.non2xx;
        a.timeouts += r.timeouts;
        a.p50.push(r.latency.p50);
        a.p99.push(r.latency.p99);
        a.rounds.push(Math.round(r['2xx'] / r.duration));
      }
    }
    for (const t of job.targets) {
      const a = acc.get(t.name)!;
      out[t.name][size] = {
        rps: a.ok / a.secs,
        requests: a.ok,
        seconds: a.secs,
        roundsRps: a.rounds,
        p50: Math.max(...a.p50),
        p99: Math.max(...a.p99),
        errors: a.errors,
        non2xx: a.non2xx,
        timeouts: a.timeouts,
        cpuSeconds: t.cpuPid ? a.cpu : undefined,
        cpuMsPerRequest: t.cpuPid && a.ok > 0 ? (a.cpu * 1000) / a.ok : undefined,
      };
    }
  }
  return out;
}

if (process.argv[2]) {
  const out = await main(JSON.parse(process.argv[2]) as CannonJob);
  // Exit only once the result is out: a pipe takes 64 KiB at a time, and exit() would cut the rest.
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
}
