/**
 * The stdio client, as its own process: it starts each configuration under test (the server
 * itself, the pipe-through, `portcullis wrap`) as its own child and speaks newline-delimited
 * JSON-RPC to it. Like the HTTP load, targets are interleaved (latency in blocks, throughput in
 * rotated rounds) so the machine's slow spells are shared. Prints one JSON line on stdout.
 *
 *   node bench/stdio-driver.ts '<job json>'
 *
 * CPU is read from /proc/<child>/stat around each measured throughput run: the child is the proxy
 * (for B0, the server itself).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpuSeconds } from './procs.ts';
import { summarize } from './stats.ts';

export interface StdioTarget {
  name: string;
  command: string;
  args: string[];
  /** Where it runs: a gateway keeps state (event store) relative to its working directory. */
  cwd?: string;
}

export interface StdioJob {
  targets: StdioTarget[];
  sizes: number[];
  latency?: { calls: number; warmup: number; blocks: number };
  throughput?: { durationMs: number; window: number; warmupMs: number; rounds: number };
  /** Every blob call asks for a text of its own (`seq`): nothing can be answered from a cache. */
  vary?: boolean;
  /** Head-of-line on the first target only. */
  hol?: { longMs: number; baselineMs: number; size: number };
}

const ID_RE = /"id":(\d+)/;

class Conn {
  readonly t: StdioTarget;
  readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (line: Buffer) => void>();
  private chunks: Buffer[] = [];
  private nextId = 1;
  stderr = '';
  closing = false;

  constructor(t: StdioTarget) {
    this.t = t;
    this.child = spawn(t.command, t.args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: t.cwd });
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString('utf8')).slice(-8192);
    });
    this.child.on('exit', (code) => {
      if (!this.closing) fail(new Error(`${t.name}: child exited with ${code}\n${this.stderr}`));
    });
    this.child.stdout.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) {
        if (start < chunk.length) this.chunks.push(chunk.subarray(start));
        return;
      }
      this.chunks.push(chunk.subarray(start, nl));
      const line = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [];
      start = nl + 1;
      if (line.length) this.onLine(line);
    }
  }

  private onLine(line: Buffer): void {
    // The id sits near the front of every answer; parsing 256 KB per line would load the driver.
    const m = ID_RE.exec(line.subarray(0, 128).toString('latin1'));
    let id = m ? Number(m[1]) : undefined;
    if (id === undefined) {
      const msg = JSON.parse(line.toString('utf8')) as { id?: unknown };
      if (typeof msg.id !== 'number') return; // a notification
      id = msg.id;
    }
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    w(line);
  }

  call(method: string, params: Record<string, unknown>): Promise<Buffer> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  blob(size: number): Promise<Buffer> {
    return this.call('tools/call', { name: 'blob', arguments: vary ? { size, seq: this.nextId } : { size } });
  }

  async open(): Promise<void> {
    const init = await this.call('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'portcullis-bench', version: '1.0.0' } });
    if (!init.includes('"result"')) throw new Error(`${this.t.name}: initialize failed: ${init.toString().slice(0, 300)}`);
    this.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  }

  async check(size: number): Promise<void> {
    const line = await this.blob(size);
    const msg = JSON.parse(line.toString('utf8')) as { result?: { content?: { text?: string }[] } };
    if (msg.result?.content?.[0]?.text?.length !== size) throw new Error(`${this.t.name}: blob ${size}: unexpected answer ${line.subarray(0, 300).toString()}`);
  }

  /** One call at a time; wall time of each (ms). Stops at `calls`, or at `untilMs` when given. */
  async sequential(size: number, calls: number, untilMs = Infinity): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; untilMs < Infinity ? performance.now() < untilMs : i < calls; i++) {
      const t0 = performance.now();
      const line = await this.blob(size);
      times.push(performance.now() - t0);
      if (line.length < size) throw new Error(`${this.t.name}: short answer`);
    }
    return times;
  }

  /** `window` calls always in flight until `untilMs`; returns how many completed. */
  async saturate(size: number, window: number, untilMs: number): Promise<number> {
    let done = 0;
    const run = async () => {
      while (performance.now() < untilMs) {
        const line = await this.blob(size);
        if (line.length < size) throw new Error(`${this.t.name}: short answer`);
        done++;
      }
    };
    await Promise.all(Array.from({ length: window }, run));
    return done;
  }
}

let conns: Conn[] = [];
let vary = false;
function fail(err: Error): never {
  process.stderr.write(`stdio-driver: ${err.stack ?? err.message}\n`);
  for (const c of conns) {
    c.closing = true;
    c.child.kill('SIGKILL');
  }
  process.exit(1);
}

async function main(job: StdioJob): Promise<Record<string, unknown>> {
  vary = job.vary === true;
  conns = job.targets.map((t) => new Conn(t));
  for (const c of conns) await c.open();
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of conns) out[c.t.name] = { pid: c.child.pid };
  for (const size of job.sizes) {
    for (const c of conns) await c.check(size);
    const lat = conns.map(() => [] as number[]);
    // CPU of the proxy process over the sequential calls (one call at a time: no batching helps).
    const latCpu = conns.map(() => 0);
    if (job.latency) {
      const { calls, warmup, blocks } = job.latency;
      for (const c of conns) await c.sequential(size, warmup);
      for (let b = 0; b < blocks; b++) {
        for (let k = 0; k < conns.length; k++) {
          const i = (k + b) % conns.length;
          const cpu0 = cpuSeconds(conns[i].child.pid!);
          lat[i].push(...(await conns[i].sequential(size, Math.ceil(calls / blocks))));
          latCpu[i] += cpuSeconds(conns[i].child.pid!) - cpu0;
        }
      }
    }
    const thr = conns.map(() => ({ requests: 0, seconds: 0, cpuSeconds: 0, roundsRps: [] as number[] }));
    if (job.throughput) {
      const { durationMs, window, warmupMs, rounds } = job.throughput;
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < conns.length; k++) {
          const i = (k + r) % conns.length;
          const c = conns[i];
          const warm = r === 0 ? warmupMs : Math.min(warmupMs, 100);
          if (warm > 0) await c.saturate(size, window, performance.now() + warm);
          const cpu0 = cpuSeconds(c.child.pid!);
          const t0 = performance.now();
          const n = await c.saturate(size, window, t0 + durationMs);
          const secs = (performance.now() - t0) / 1000;
          thr[i].cpuSeconds += cpuSeconds(c.child.pid!) - cpu0;
          thr[i].requests += n;
          thr[i].seconds += secs;
          thr[i].roundsRps.push(Math.round(n / secs));
        }
      }
    }
    conns.forEach((c, i) => {
      const t = thr[i];
      out[c.t.name][size] = {
        latency: job.latency ? { ...summarize(lat[i]), errors: 0, cpuMsPerCall: (latCpu[i] * 1000) / lat[i].length } : undefined,
        throughput: job.throughput ? { ...t, rps: t.requests / t.seconds, cpuMsPerRequest: (t.cpuSeconds * 1000) / t.requests } : undefined,
      };
    });
  }
  if (job.hol) {
    const c = conns[0];
    const { longMs, baselineMs, size } = job.hol;
    await c.sequential(size, 3000); // a fresh gateway: warm the JIT up before the baseline
    // The baseline is taken half before and half after, so drift (JIT, heap growth) cancels out.
    const before = await c.sequential(size, 0, performance.now() + baselineMs / 2);
    const t0 = performance.now();
    const longCall = c.call('tools/call', { name: 'sleep', arguments: { ms: longMs } }).then(() => performance.now() - t0);
    // Measure only while the long call is surely in flight.
    await new Promise((r) => setTimeout(r, 500));
    const during = await c.sequential(size, 0, t0 + longMs - 1000);
    const longCallMs = await longCall;
    const after = await c.sequential(size, 0, performance.now() + baselineMs / 2);
    out[c.t.name].hol = { baseline: summarize([...before, ...after]), withLong: summarize(during), longCallMs };
  }
  return out;
}

async function shutdown(): Promise<void> {
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.closing = true;
          if (c.child.exitCode !== null) return resolve();
          const t = setTimeout(() => c.child.kill('SIGKILL'), 5000);
          c.child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          c.child.stdin.end();
        }),
    ),
  );
}

main(JSON.parse(process.argv[2]) as StdioJob)
  .then(async (out) => {
    await shutdown();
    // Exit only once the result is out: a pipe takes 64 KiB at a time, and exit() would cut the rest.
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
  })
  .catch((err: Error) => fail(err));
