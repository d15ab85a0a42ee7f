/**
 * The HTTP load that autocannon does not cover, as its own process (the load never shares a
 * process with what it measures). Prints one JSON line on stdout.
 *
 *   latency  '<json>'   one client, one call at a time. Targets are interleaved in blocks
 *                       (size by size: every target does calls/blocks calls, then the next), so
 *                       a slow spell of the machine is shared by all of them. Per target and
 *                       size: p50/p99 of each call's wall time.
 *   timed    '<json>'   one target, one size, one call at a time for durationMs; raw times kept
 *   sessions <url> <count> <concurrency>
 *                       opens <count> sessions (initialize + initialized), then DELETEs every other one
 *   long     <url> <form> <ms>
 *                       one `sleep` call of <ms>, for the head-of-line scenario
 */
import { Agent, request } from 'node:http';
import { callBody, callHeaders, INIT_HEADERS, initializeBody, LEGACY, messageOf, type HttpForm } from './mcp-wire.ts';
import { summarize } from './stats.ts';

export interface LatencyTarget {
  name: string;
  url: string;
  form: HttpForm;
  sessionId?: string;
}

interface Reply {
  status: number;
  contentType?: string;
  body: string;
  sessionId?: string;
}

function post(agent: Agent, url: URL, headers: Record<string, string>, body: string | undefined, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method, headers, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: Buffer.concat(parts).toString('utf8'),
          sessionId: res.headers['mcp-session-id'] as string | undefined,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

class Caller {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  readonly url: URL;
  readonly t: LatencyTarget;
  private nextId = 1;
  errors = 0;
  firstError?: string;

  constructor(t: LatencyTarget) {
    this.t = t;
    this.url = new URL(t.url);
  }

  /** One call; its wall time in ms. A cheap check on every answer (status, length). */
  async call(size: number): Promise<number> {
    const body = callBody(this.nextId++, 'blob', { size }, this.t.form);
    const t0 = performance.now();
    const r = await post(this.agent, this.url, callHeaders('blob', this.t.form, this.t.sessionId), body);
    const dt = performance.now() - t0;
    if (r.status !== 200 || r.body.length < size) {
      this.errors++;
      this.firstError ??= `HTTP ${r.status}: ${r.body.slice(0, 300)}`;
      if (this.errors > 20) throw new Error(`${this.t.name}: too many errors, first: ${this.firstError}`);
    }
    return dt;
  }

  /** A full parse of one answer: the result text has exactly `size` bytes. */
  async check(size: number): Promise<void> {
    const r = await post(this.agent, this.url, callHeaders('blob', this.t.form, this.t.sessionId), callBody(0, 'blob', { size }, this.t.form));
    const got = r.status === 200 ? messageOf(r.contentType, r.body).result?.content?.[0]?.text?.length : undefined;
    if (got !== size) throw new Error(`${this.t.name}: blob ${size} answered HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }
}

async function latency(job: { targets: LatencyTarget[]; sizes: number[]; calls: number; warmup: number; blocks: number }) {
  const callers = job.targets.map((t) => new Caller(t));
  const out: Record<string, Record<string, unknown>> = {};
  for (const c of callers) out[c.t.name] = {};
  for (const size of job.sizes) {
    const times = callers.map(() => [] as number[]);
    for (const c of callers) {
      await c.check(size);
      for (let i = 0; i < job.warmup; i++) await c.call(size);
    }
    const per = Math.ceil(job.calls / job.blocks);
    for (let b = 0; b < job.blocks; b++) {
      for (let k = 0; k < callers.length; k++) {
        const i = (k + b) % callers.length;
        for (let n = 0; n < per; n++) times[i].push(await callers[i].call(size));
      }
    }
    callers.forEach((c, i) => (out[c.t.name][size] = { ...summarize(times[i]), errors: c.errors, firstError: c.firstError }));
  }
  for (const c of callers) c.agent.destroy();
  return out;
}

async function timed(job: { target: LatencyTarget; size: number; warmup: number; durationMs: number }) {
  const c = new Caller(job.target);
  await c.check(job.size);
  for (let i = 0; i < job.warmup; i++) await c.call(job.size);
  const times: number[] = [];
  const deadline = performance.now() + job.durationMs;
  while (performance.now() < deadline) times.push(await c.call(job.size));
  c.agent.destroy();
  // Raw times are kept so runs can be pooled before taking percentiles.
  return { ...summarize(times), errors: c.errors, firstError: c.firstError, times: times.map((t) => Math.round(t * 1000) / 1000) };
}

async function sessions(url: URL, count: number, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ids: string[] = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        const r = await post(agent, url, INIT_HEADERS, initializeBody(i));
        if (r.status !== 200 || !r.sessionId) throw new Error(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        const n = await post(agent, url, { ...INIT_HEADERS, 'mcp-session-id': r.sessionId, 'mcp-protocol-version': LEGACY }, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
        if (n.status >= 300) throw new Error(`initialized: HTTP ${n.status}`);
        ids.push(r.sessionId);
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const openMs = performance.now() - t0;
  // Half are ended properly, half simply abandoned (left for the idle timeout).
  const toClose = ids.filter((_, i) => i % 2 === 0);
  let deleted = 0;
  let k = 0;
  const closer = async () => {
    while (k < toClose.length) {
      const sid = toClose[k++];
      const r = await post(agent, url, { 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY }, undefined, 'DELETE').catch(() => undefined);
      if (r && r.status < 300) deleted++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, closer));
  agent.destroy();
  return { opened: ids.length, deleted, abandoned: ids.length - toClose.length, failed, firstError, openMs };
}

async function long(url: URL, form: HttpForm, ms: number) {
  const agent = new Agent({ keepAlive: false });
  const t0 = performance.now();
  const r = await post(agent, url, callHeaders('sleep', form), callBody(1, 'sleep', { ms }, form));
  return { status: r.status, elapsedMs: performance.now() - t0, body: r.body.slice(0, 200) };
}

const [mode, a, b, c] = process.argv.slice(2);
let out: unknown;
if (mode === 'latency') out = await latency(JSON.parse(a));
else if (mode === 'timed') out = await timed(JSON.parse(a));
else if (mode === 'sessions') out = await sessions(new URL(a), Number(b), Number(c));
else if (mode === 'long') out = await long(new URL(a), b as HttpForm, Number(c));
else {
  process.stderr.write('usage: http-client.ts latency|timed <json> | sessions <url> <n> <c> | long <url> <form> <ms>\n');
  process.exit(2);
}
// Exit only once the result is out: a pipe takes 64 KiB at a time, and exit() would cut the rest.
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
