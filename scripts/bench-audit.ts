/**
 * What audit writing costs, and how fast `audit verify` is (docs/monitoring.md quotes the output).
 *
 *   node scripts/bench-audit.ts [--records 100000] [--seconds 10] [--skip-gateway]
 *
 * 1. emit(): the synchronous hot-path cost per record, and the amortized cost per record with the
 *    batched writes included (wall time until flushed), for: no sink, the chained file, file +
 *    SQLite event store (the default), file + PostgreSQL event store (localhost).
 * 2. `audit verify` throughput (records/s) over the file and over each store.
 * 3. Requests per second through `portcullis run` with audit off, with file + SQLite, with file +
 *    PostgreSQL, in one run (autocannon, 2026-07-28 stateless requests): a call forwarded to
 *    server-everything (echo) and a call denied by policy (answered and audited by the gateway).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AuditLog, FileAuditSink, type AuditSink } from '../src/audit/audit-log.ts';
import { HashChain } from '../src/audit/hash-chain.ts';
import { generateKeyFiles, loadSigner, loadVerifier } from '../src/audit/signing-keys.ts';
import { verifyAuditFiles } from '../src/audit/verify-files.ts';
import { AUDIT_EVENTS } from '../src/config/schema.ts';
import type { EventStore } from '../src/store/event-store.ts';
import { PostgresEventStore } from '../src/store/postgres-event-store.ts';
import { SqliteEventStore } from '../src/store/sqlite-event-store.ts';
import { SqliteWorkerStore } from '../src/store/sqlite-worker-store.ts';
import { StoreAuditSink } from '../src/store/store-audit-sink.ts';
import { verifyStore } from '../src/store/verify-store.ts';
import { tempDatabase } from '../test/helpers/postgres.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { records: { type: 'string' }, seconds: { type: 'string' }, 'skip-gateway': { type: 'boolean' } } });
const N = Number(values.records ?? 100_000);
const SECONDS = Number(values.seconds ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-audit-'));
const keys = generateKeyFiles(join(dir, 'keys'));
const signer = loadSigner(keys.privatePath);
const verifier = loadVerifier(keys.publicPath);

const record = (i: number) => ({
  event: 'tool_invoked' as const,
  session: 'b3kq3v0vGdcJkq4a3mXf1Q',
  connection: 'http:127.0.0.1:51234',
  principal: 'anonymous',
  server: 'everything',
  tool: 'echo',
  method: 'tools/call',
  requestId: i,
  decision: 'allow' as const,
  latencyMs: 1.234,
  args: { message: 'hello through portcullis', n: i },
});

type ThreadCpu = { threadCpuUsage(prev?: NodeJS.CpuUsage): NodeJS.CpuUsage };

async function emitBench(label: string, sinks: () => Promise<AuditSink[]>): Promise<{ label: string; syncUs: number; amortizedUs: number; cpuUs: number; mainUs: number }> {
  const s = await sinks();
  const log = new AuditLog({ sinks: s, events: AUDIT_EVENTS, level: 'detailed', chain: new HashChain({ signer, everyRecords: 1000 }), checkpointEverySeconds: 0 });
  // Warm-up (JIT), not measured.
  for (let i = 0; i < 5000; i++) log.emit(record(i));
  await log.flush();
  let sync = 0;
  const cpu0 = process.cpuUsage();
  const main0 = (process as unknown as ThreadCpu).threadCpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i += 100) {
    const a = performance.now();
    for (let k = 0; k < 100; k++) log.emit(record(i + k));
    sync += performance.now() - a;
    // Yield like a server does between requests, so batches are written while records arrive.
    await new Promise((r) => setImmediate(r));
  }
  await log.flush();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main = (process as unknown as ThreadCpu).threadCpuUsage(main0);
  await log.close();
  return { label, syncUs: (sync * 1000) / N, amortizedUs: (wall * 1000) / N, cpuUs: (cpu.user + cpu.system) / N, mainUs: (main.user + main.system) / N };
}

const fileSink = (name: string) => new FileAuditSink({ path: join(dir, name), rotation: 'none' });
const storeSink = async (store: EventStore) => {
  await store.migrate();
  return new StoreAuditSink({ store });
};

async function main(): Promise<void> {
  const t = await tempDatabase();
  const pgdb = typeof t === 'string' ? undefined : t;
  const out: string[] = [`# audit benchmark (${N} records, node ${process.version}, ${new Date().toISOString()})`, ''];
  try {
    const rows = [
      await emitBench('no sink (redaction, severity)', async () => []),
      await emitBench('file (chained, signed checkpoints)', async () => [fileSink('a.log')]),
      await emitBench('file + SQLite store (default: worker thread)', async () => [fileSink('b.log'), await storeSink(new SqliteWorkerStore(join(dir, 'b.db')))]),
    ];
    if (pgdb) rows.push(await emitBench('file + PostgreSQL store', async () => [fileSink('c.log'), await storeSink(new PostgresEventStore({ url: pgdb.url }))]));
    out.push(
      '| sinks | emit() µs/record (inside the request) | event-loop thread CPU µs/record, writes included | all threads CPU µs/record | wall µs/record until flushed |',
      '| --- | ---: | ---: | ---: | ---: |',
    );
    for (const r of rows) out.push(`| ${r.label} | ${r.syncUs.toFixed(2)} | ${r.mainUs.toFixed(2)} | ${r.cpuUs.toFixed(2)} | ${r.amortizedUs.toFixed(2)} |`);
    out.push('');

    const v: string[] = ['| audit verify over | records | records/s |', '| --- | ---: | ---: |'];
    const fv = await verifyAuditFiles([join(dir, 'b.log')], { verifier });
    v.push(`| file | ${fv.records} | ${fv.recordsPerSecond.toLocaleString('en-US')} |`);
    const sq = new SqliteEventStore(join(dir, 'b.db'), { readOnly: true });
    const sv = await verifyStore(sq, { verifier });
    await sq.close();
    v.push(`| SQLite store | ${sv.records} | ${sv.recordsPerSecond.toLocaleString('en-US')} |`);
    if (pgdb) {
      const ps = new PostgresEventStore({ url: pgdb.url });
      const pv = await verifyStore(ps, { verifier });
      await ps.close();
      v.push(`| PostgreSQL store | ${pv.records} | ${pv.recordsPerSecond.toLocaleString('en-US')} |`);
    }
    if (!fv.ok || !sv.ok) throw new Error(`verification failed: ${JSON.stringify(fv.problem ?? sv.problem)}`);
    out.push(...v, '');

    if (!values['skip-gateway']) out.push(...(await gatewayBench(pgdb?.url)));
  } finally {
    await pgdb?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(out.join('\n') + '\n');
}

const EVERYTHING = createRequire(join(ROOT, 'package.json')).resolve('@modelcontextprotocol/server-everything/dist/index.js');

async function startRun(name: string, audit: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const d = join(dir, name);
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(
    cfg,
    `mcp:
  listen: {host: 127.0.0.1, port: 0}
  state: {dir: ${JSON.stringify(join(d, 'state'))}}
  servers: [{name: everything, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(EVERYTHING)}, stdio]}]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo], deniedTools: [get-env]}
    rateLimiting: {enabled: false}
    alerting: {enabled: false}
    audit: ${audit.replaceAll('DIR', d)}
`,
  );
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'portcullis.cjs'), 'run', '--config', cfg], { stdio: ['ignore', 'pipe', 'ignore'] });
  const url = await new Promise<string>((resolve, reject) => {
    let o = '';
    proc.stdout!.on('data', (c) => {
      o += c;
      const m = /listening on (\S+)/.exec(o);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (c) => reject(new Error(`${name} exited ${c}`)));
  });
  return { url, stop: () => new Promise((r) => (proc.once('exit', () => r()), proc.kill('SIGTERM'))) };
}

/** The slice of autocannon's programmatic API used here (it ships no types). */
type Autocannon = (opts: Record<string, unknown>) => Promise<{ requests: { average: number }; non2xx: number; errors: number }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

async function cannon(url: string, tool: string, args: Record<string, unknown>, seconds = SECONDS): Promise<number> {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: args, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } });
  const r = await autocannon({
    url,
    method: 'POST',
    connections: 16,
    duration: seconds,
    body,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': tool },
  });
  if (r.non2xx || r.errors) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

async function gatewayBench(pgUrl: string | undefined): Promise<string[]> {
  const variants: [string, string][] = [
    ['audit off', '{enabled: false}'],
    ['file + SQLite (default)', '{destinations: [{type: file, path: DIR/audit.log}, {type: sqlite, path: DIR/events.db}]}'],
  ];
  if (pgUrl) variants.push(['file + PostgreSQL', `{destinations: [{type: file, path: DIR/audit.log}, {type: postgres, url: "${pgUrl}"}]}`]);
  const results = new Map<string, { echo: number[]; denied: number[] }>();
  // Two rounds, interleaved, so drift of the machine hits every variant alike.
  for (let round = 0; round < 2; round++) {
    for (const [label, audit] of variants) {
      const gw = await startRun(`${label.replace(/\W+/g, '-')}-${round}`, audit);
      try {
        await cannon(gw.url, 'echo', { message: 'warm' }, 3);
        const r = results.get(label) ?? { echo: [], denied: [] };
        r.echo.push(await cannon(gw.url, 'echo', { message: 'hello through portcullis' }));
        r.denied.push(await cannon(gw.url, 'get-env', {}));
        results.set(label, r);
      } finally {
        await gw.stop();
      }
    }
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const base = results.get('audit off')!;
  const out = [`Requests/s through \`portcullis run\` (16 connections, ${SECONDS}s each, 2 interleaved rounds, mean):`, '', '| audit | echo → server-everything | ratio | denied get-env (gateway only) | ratio |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const [label] of variants) {
    const r = results.get(label)!;
    out.push(`| ${label} | ${mean(r.echo).toFixed(0)} | ${(mean(r.echo) / mean(base.echo)).toFixed(3)} | ${mean(r.denied).toFixed(0)} | ${(mean(r.denied) / mean(base.denied)).toFixed(3)} |`);
  }
  out.push('');
  return out;
}

await main();
