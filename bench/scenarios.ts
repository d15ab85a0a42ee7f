/**
 * The workloads of issue 8, one function per section. Each starts every configuration of its
 * section side by side, checks each answers correctly before loading it, measures them
 * interleaved (see cannon.ts), and stops them.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CannonTarget } from './cannon.ts';
import { gatewayYaml, type GatewayProfile } from './configs.ts';
import { httpLatencies, httpLongCall, httpSessions, httpThroughput, httpTimed, stdioRun, type StdioSizeResult } from './load.ts';
import { checkBlob, openSession, type HttpForm } from './mcp-wire.ts';
import { rssBytes, stop } from './procs.ts';
import type { ConfigResult, HolResult, Results } from './results.ts';
import { summarize, type LatencySummary } from './stats.ts';
import type { StdioTarget } from './stdio-driver.ts';
import { BENCH, MOCK, MOCK_STDIO, NODE, portcullis, scratchDir, startByteProxy, startGateway, startMcpProxy, startMockHttp, startSupergateway, type Endpoint } from './targets.ts';

export interface Plan {
  mode: 'quick' | 'full';
  sizes: number[];
  /** One client, one call at a time: calls per configuration and size, in `blocks` interleaved blocks. */
  latency: { calls: number; warmup: number; blocks: number };
  /** Per configuration and size: `rounds` interleaved runs of `seconds` each. */
  throughput: { connections: number; seconds: number; warmupSeconds: number; rounds: number };
  stdioThroughput: { durationMs: number; window: number; warmupMs: number; rounds: number };
  memory: { sessions: number; concurrency: number; idleSeconds: number; profiles: GatewayProfile[] };
  hol: { longMs: number; baselineMs: number; size: number; stdio: boolean };
  /** Also drive G and G-min with 2025-11-25 sessions, and put G-min beside the peers. */
  extraVariants: boolean;
}

type Log = (msg: string) => void;
const MiB = 2 ** 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kb = (size: number | string) => `${Number(size) / 1024} KB`;

interface Subject {
  ep: Endpoint;
  what: string;
  form: HttpForm;
  sessionId?: string;
  latency: boolean;
}

/** Latency (interleaved) for the subjects that want it, then throughput (interleaved) for all. */
async function measureSection(subjects: Subject[], plan: Plan, log: Log): Promise<Record<string, ConfigResult>> {
  for (const s of subjects) for (const size of plan.sizes) await checkBlob(s.ep.url, s.form, size, s.sessionId);
  const target = (s: Subject) => ({ name: s.ep.name, url: s.ep.url, form: s.form, sessionId: s.sessionId });
  const withLatency = subjects.filter((s) => s.latency);
  const lat = withLatency.length ? await httpLatencies({ targets: withLatency.map(target), sizes: plan.sizes, ...plan.latency }) : {};
  const targets: CannonTarget[] = subjects.map((s) => ({ ...target(s), cpuPid: s.ep.pid }));
  const thr = await httpThroughput({ targets, sizes: plan.sizes, ...plan.throughput });
  const out: Record<string, ConfigResult> = {};
  for (const s of subjects) {
    const name = s.ep.name;
    out[name] = { what: s.what, form: s.form, sizes: {} };
    for (const size of plan.sizes) {
      const t = thr[name][size];
      if (t.errors || t.non2xx || t.timeouts) throw new Error(`${name} ${kb(size)}: ${t.errors} errors, ${t.non2xx} non-2xx, ${t.timeouts} timeouts under load`);
      const l = lat[name]?.[size];
      out[name].sizes[size] = { latency: l, throughput: t };
      log(
        `  ${name.padEnd(16)} ${kb(size).padStart(6)}  ` +
          (l ? `p50 ${l.p50.toFixed(3)} ms  p99 ${l.p99.toFixed(3)} ms  ` : '') +
          `${t.rps.toFixed(0)} req/s [${t.roundsRps?.join(', ')}]  cpu ${t.cpuMsPerRequest?.toFixed(3)} ms/req`,
      );
    }
  }
  return out;
}

/** HTTP: B0, B1, G and G-min, all in front of the mock's own Streamable HTTP endpoint. */
export async function runHttp(plan: Plan, results: Results, log: Log): Promise<void> {
  log('HTTP: B0, B1, G, G-min in front of the HTTP mock (2026-07-28 stateless requests)');
  const eps: Endpoint[] = [];
  try {
    const mock = await startMockHttp();
    eps.push(mock);
    const b1 = await startByteProxy(mock.url);
    eps.push(b1);
    const g = await startGateway({ name: 'G', profile: 'full', upstream: { url: mock.url } });
    eps.push(g);
    const gmin = await startGateway({ name: 'G-min', profile: 'min', upstream: { url: mock.url } });
    eps.push(gmin);
    const gna = await startGateway({ name: 'G-noaudit', profile: 'noaudit', upstream: { url: mock.url } });
    eps.push(gna);
    const gni = await startGateway({ name: 'G-noinspect', profile: 'noinspect', upstream: { url: mock.url } });
    eps.push(gni);
    const subjects: Subject[] = [
      { ep: mock, what: 'client -> mock (HTTP)', form: 'stateless', latency: true },
      { ep: b1, what: 'client -> byte proxy -> mock', form: 'stateless', latency: true },
      { ep: g, what: 'client -> Portcullis (full) -> mock (HTTP)', form: 'stateless', latency: true },
      { ep: gmin, what: 'client -> Portcullis (min) -> mock (HTTP)', form: 'stateless', latency: true },
      { ep: gna, what: 'G with the audit log off', form: 'stateless', latency: false },
      { ep: gni, what: 'G with content inspection off', form: 'stateless', latency: false },
    ];
    if (plan.extraVariants) {
      // The same gateways, driven the 2025 way: one session shared by every connection.
      subjects.push({ ep: { ...g, name: 'G (session)' }, what: 'G, 2025-11-25 session requests', form: 'session', sessionId: await openSession(g.url), latency: false });
      subjects.push({ ep: { ...gmin, name: 'G-min (session)' }, what: 'G-min, 2025-11-25 session requests', form: 'session', sessionId: await openSession(gmin.url), latency: false });
    }
    results.http = await measureSection(subjects, plan, log);
    await stop(g.proc);
    results.notes.push(auditNote(g.auditPath));
  } finally {
    for (const ep of eps.reverse()) await stop(ep.proc);
  }
}

function auditNote(path: string): string {
  if (!existsSync(path)) return 'G: no audit log was written';
  const text = readFileSync(path, 'utf8');
  const invoked = text.split('\n').filter((l) => l.includes('"event":"tool_invoked"')).length;
  return `G (HTTP): the audit log holds ${invoked} tool_invoked records (${(text.length / MiB).toFixed(1)} MiB): every call was audited.`;
}

/** G vs peers: each exposes the stdio mock over Streamable HTTP; 2025-11-25 sessions throughout. */
export async function runPeers(plan: Plan, results: Results, log: Log): Promise<void> {
  log('peers: G, mcp-proxy, supergateway in front of the stdio mock (2025-11-25 session)');
  const starters: [string, string, () => Promise<Endpoint>][] = [
    ['G', 'client -> Portcullis (full) -> stdio mock', () => startGateway({ name: 'G', profile: 'full', upstream: MOCK_STDIO })],
    ['G-min', 'client -> Portcullis (min) -> stdio mock', () => startGateway({ name: 'G-min', profile: 'min', upstream: MOCK_STDIO })],
    ['mcp-proxy', 'client -> mcp-proxy 6.7.19 (defaults) -> stdio mock', startMcpProxy],
    ['supergateway', 'client -> supergateway 4.0.0 (--stateful) -> stdio mock', startSupergateway],
  ];
  const eps: Endpoint[] = [];
  try {
    const subjects: Subject[] = [];
    for (const [name, what, startIt] of starters) {
      if (name === 'G-min' && !plan.extraVariants) continue;
      const ep = { ...(await startIt()), name };
      eps.push(ep);
      subjects.push({ ep, what, form: 'session', sessionId: await openSession(ep.url), latency: false });
    }
    results.peers = await measureSection(subjects, plan, log);
  } finally {
    for (const ep of eps.reverse()) await stop(ep.proc);
  }
}

function writeGatewayConfig(profile: GatewayProfile): string {
  const dir = mkdtempSync(join(scratchDir(), `wrap-${profile}-`));
  const path = join(dir, 'portcullis.yaml');
  writeFileSync(path, gatewayYaml(profile, MOCK_STDIO, { auditPath: join(dir, 'audit.log') }));
  return path;
}

const wrapTarget = (name: string, profile: GatewayProfile): StdioTarget => {
  const config = writeGatewayConfig(profile);
  // In its own scratch directory: state the gateway keeps by default (./portcullis-state) stays there.
  return { name, command: NODE, args: [portcullis(), 'wrap', '--config', config, '--', NODE, MOCK, '--stdio'], cwd: dirname(config) };
};

/** stdio: latency one call at a time, throughput with 64 calls in flight on the one pipe. */
export async function runStdio(plan: Plan, results: Results, log: Log): Promise<void> {
  log('stdio: B0, B1, G, G-min (newline JSON-RPC from a driver process)');
  const what: Record<string, string> = {
    B0: 'client -> mock (stdio)',
    B1: 'client -> pipe-through process -> mock',
    G: 'client -> portcullis wrap (full) -> mock',
    'G-min': 'client -> portcullis wrap (min) -> mock',
  };
  const targets: StdioTarget[] = [
    { name: 'B0', command: NODE, args: [MOCK, '--stdio'] },
    { name: 'B1', command: NODE, args: [join(BENCH, 'pipe-proxy.ts'), '--', NODE, MOCK, '--stdio'] },
    wrapTarget('G', 'full'),
    wrapTarget('G-min', 'min'),
  ];
  const st = plan.stdioThroughput;
  const budget = 120_000 + targets.length * plan.sizes.length * (plan.latency.calls * 50 + st.rounds * (st.durationMs + st.warmupMs) * 2);
  const r = await stdioRun({ targets, sizes: plan.sizes, latency: plan.latency, throughput: st }, budget);
  for (const t of targets) {
    const out: ConfigResult = { what: what[t.name], form: 'stdio', sizes: {} };
    for (const size of plan.sizes) {
      const s = r[t.name][size] as StdioSizeResult;
      out.sizes[size] = s as ConfigResult['sizes'][string];
      log(
        `  ${t.name.padEnd(16)} ${kb(size).padStart(6)}  p50 ${s.latency!.p50.toFixed(3)} ms  p99 ${s.latency!.p99.toFixed(3)} ms  ` +
          `${s.throughput!.rps.toFixed(0)} req/s [${s.throughput!.roundsRps.join(', ')}]  cpu ${s.throughput!.cpuMsPerRequest.toFixed(3)} ms/req`,
      );
    }
    results.stdio[t.name] = out;
  }
}

/**
 * Memory: N sessions opened (initialize), half ended with DELETE, half abandoned; RSS before,
 * at the peak, and after the idle timeout has swept the abandoned ones.
 */
export async function runMemory(plan: Plan, results: Results, log: Log): Promise<void> {
  const m = plan.memory;
  results.memory = {};
  for (const profile of m.profiles) {
    const name = profile === 'full' ? 'G' : 'G-min';
    log(`memory: ${name}, ${m.sessions} sessions, idle timeout ${m.idleSeconds} s`);
    const mock = await startMockHttp();
    const probeFile = join(mkdtempSync(join(scratchDir(), 'gc-')), 'probe.json');
    const g = await startGateway({
      name: `${name}-mem`,
      profile,
      upstream: { url: mock.url },
      sessionIdleSeconds: m.idleSeconds,
      nodeFlags: ['--expose-gc', '--import', join(BENCH, 'gc-probe.ts')],
      env: { BENCH_GC_PROBE_FILE: probeFile },
    });
    const target = { name, url: g.url, form: 'stateless' as const };
    try {
      await httpTimed({ target, size: 1024, warmup: 300, durationMs: 500 });
      await sleep(1000);
      const before = rssBytes(g.pid);
      const probeBefore = await gcProbe(g.pid, probeFile);
      const s = await httpSessions(g.url, m.sessions, m.concurrency);
      if (s.failed) throw new Error(`memory ${name}: ${s.failed} sessions failed: ${s.firstError}`);
      const peak = rssBytes(g.pid);
      // The sweep runs every min(idle, 60 s): an abandoned session is gone within 2 × idle.
      const waited = 2 * m.idleSeconds + 2;
      await sleep(waited * 1000);
      const afterIdle = rssBytes(g.pid);
      const probeAfter = await gcProbe(g.pid, probeFile);
      await httpTimed({ target, size: 1024, warmup: 0, durationMs: 1000 });
      const afterTraffic = rssBytes(g.pid);
      const idleClosed = profile === 'full' && existsSync(g.auditPath) ? readFileSync(g.auditPath, 'utf8').split('"reason":"idle timeout"').length - 1 : undefined;
      results.memory[name] = {
        sessionsOpened: s.opened,
        sessionsDeleted: s.deleted,
        sessionsAbandoned: s.abandoned,
        failed: s.failed,
        idleSeconds: m.idleSeconds,
        rssBeforeMiB: before / MiB,
        rssPeakMiB: peak / MiB,
        rssAfterIdleMiB: afterIdle / MiB,
        rssAfterTrafficMiB: afterTraffic / MiB,
        ratio: afterIdle / before,
        idleClosedInAudit: idleClosed,
        waitedSeconds: waited,
        afterFullGc: {
          heapUsedBeforeMiB: probeBefore.heapUsed / MiB,
          heapUsedAfterMiB: probeAfter.heapUsed / MiB,
          rssBeforeMiB: probeBefore.rss / MiB,
          rssAfterMiB: probeAfter.rss / MiB,
          externalBeforeMiB: probeBefore.external / MiB,
          externalAfterMiB: probeAfter.external / MiB,
        },
      };
      log(
        `  ${name}: RSS ${(before / MiB).toFixed(1)} MiB before, ${(peak / MiB).toFixed(1)} peak, ${(afterIdle / MiB).toFixed(1)} after idle ` +
          `(${(afterIdle / before).toFixed(2)}x), ${(afterTraffic / MiB).toFixed(1)} after traffic; idle-closed in audit: ${idleClosed ?? 'n/a'}; ` +
          `after a full GC: heap ${(probeBefore.heapUsed / MiB).toFixed(1)} -> ${(probeAfter.heapUsed / MiB).toFixed(1)} MiB, RSS ${(probeBefore.rss / MiB).toFixed(1)} -> ${(probeAfter.rss / MiB).toFixed(1)} MiB`,
      );
    } finally {
      await stop(g.proc);
      await stop(mock.proc);
    }
  }
}

/** Asks the gateway (bench/gc-probe.ts) for a full GC and its memory figures afterwards. */
async function gcProbe(pid: number, file: string): Promise<NodeJS.MemoryUsage> {
  const sent = Date.now();
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await sleep(50);
    if (!existsSync(file)) continue;
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as NodeJS.MemoryUsage & { at: number };
      if (r.at >= sent) return r;
    } catch {
      // half-written: read again
    }
  }
  throw new Error('the gateway did not answer the GC probe');
}

/**
 * Head-of-line: one long `sleep` call on a stdio upstream while one client makes 1 KB calls;
 * p99 of those calls with the long call in flight vs without it (half before, half after).
 */
export async function runHol(plan: Plan, results: Results, log: Log): Promise<void> {
  const h = plan.hol;
  results.hol = {};
  log(`head-of-line: G over HTTP, stdio upstream, one ${h.longMs / 1000} s call in flight`);
  const g = await startGateway({ name: 'G-hol', profile: 'full', upstream: MOCK_STDIO });
  try {
    const target = { name: 'G', url: g.url, form: 'stateless' as const };
    // A fresh gateway: warm it well first (JIT tiering), or the "before" half inflates the baseline's p99.
    const before = await httpTimed({ target, size: h.size, warmup: 3000, durationMs: h.baselineMs / 2 });
    const long = httpLongCall(g.url, 'stateless', h.longMs);
    await sleep(500);
    const { times: _t, errors: _e, firstError: _f, ...during } = await httpTimed({ target, size: h.size, warmup: 0, durationMs: h.longMs - 1500 });
    const l = await long;
    if (l.status !== 200 || !l.body.includes('slept')) throw new Error(`long call failed: HTTP ${l.status} ${l.body}`);
    const after = await httpTimed({ target, size: h.size, warmup: 0, durationMs: h.baselineMs / 2 });
    const baseline = summarize([...(before.times ?? []), ...(after.times ?? [])]);
    results.hol.http = holResult('G over HTTP, stdio upstream shared by both clients', h, baseline, during, l.elapsedMs);
    log(`  HTTP: p99 ${baseline.p99.toFixed(3)} -> ${during.p99.toFixed(3)} ms (${(results.hol.http.p99Increase * 100).toFixed(1)}%), long call ${l.elapsedMs.toFixed(0)} ms`);
  } finally {
    await stop(g.proc);
  }
  if (h.stdio) {
    log(`head-of-line: portcullis wrap over stdio, one ${h.longMs / 1000} s call in flight`);
    const r = await stdioRun({ targets: [wrapTarget('G', 'full')], sizes: [], hol: { longMs: h.longMs, baselineMs: h.baselineMs, size: h.size } }, h.longMs + h.baselineMs + 120_000);
    const x = r.G.hol!;
    results.hol.stdio = holResult('portcullis wrap (stdio), same pipe', h, x.baseline, x.withLong, x.longCallMs);
    log(`  stdio: p99 ${x.baseline.p99.toFixed(3)} -> ${x.withLong.p99.toFixed(3)} ms (${(results.hol.stdio.p99Increase * 100).toFixed(1)}%)`);
  }
}

function holResult(where: string, h: Plan['hol'], baseline: LatencySummary, withLong: LatencySummary, longCallMs: number): HolResult {
  return { where, longMs: h.longMs, size: h.size, baseline, withLong, longCallMs, p99Increase: (withLong.p99 - baseline.p99) / baseline.p99 };
}
