/**
 * The cost of content inspection per KB of result (issue: "the closing note gives the measured
 * cost per KB of result, with and without inspection").
 *
 *   node bench/inspection.ts [--quick]
 *
 * 1. In process: the response stage (`inspectResult`) on a benign tools/call result of 1, 16 and
 *    256 KB of realistic text (prose, numbers, dates, paths, code, URLs), inspection on; plus the
 *    scan alone (`inspectLeaves`), and one result holding a secret (the secretlint path). Median
 *    of many calls, in µs, and µs per KB.
 * 2. End to end: `portcullis wrap` in front of the bench's mock server (bench/mock-server.ts,
 *    stdio), inspection on and off as two targets of the same stdio driver run (interleaved
 *    blocks, so the machine's slow spells are shared); sequential tools/call latency, medians,
 *    and the ratio on/off. The mock's result text is one repeated character.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectResult } from '../src/checks/inspect-result.ts';
import { scanDlp } from '../src/detect/dlp.ts';
import { scanInjection } from '../src/detect/injection.ts';
import { configSchema } from '../src/config/schema.ts';
import { inspectLeaves } from '../src/inspect/inspect-strings.ts';
import { collectLeaves } from '../src/inspect/string-leaves.ts';
import type { CallContext } from '../src/pipeline/types.ts';
import { summarize } from './stats.ts';
import { MOCK, NODE, portcullis, scratchDir } from './targets.ts';

const quick = process.argv.includes('--quick');
const KB = 1024;
const SIZES = [1 * KB, 16 * KB, 256 * KB];

const PARAGRAPH =
  'The release on 2024-05-01 (v2.14.3, build 5123) moved src/server/index.ts to the new router; see https://example.com/docs/router#migrate. ' +
  'Latency fell from 41.7 ms to 12.9 ms at p99 over 1,234,567 requests. `for (const r of routes) app.use(r.path, r.handler);` ' +
  'Reviewers: the platform team. Next steps: update the dashboards, rotate the staging fixtures, and close ticket 4821. ';

const benignText = (size: number) => PARAGRAPH.repeat(Math.ceil(size / PARAGRAPH.length)).slice(0, size);

const benchConfigs = new Map<string, ReturnType<typeof configSchema.parse>>();
function context(result: Record<string, unknown>, inspection: Record<string, unknown> = {}): CallContext {
  // Parsed once per setting: a config parse per call was most of what the 1 KB row measured.
  const key = JSON.stringify(inspection);
  let config = benchConfigs.get(key);
  if (!config) benchConfigs.set(key, (config = configSchema.parse({ mcp: { state: { dir: scratchDir() }, security: { inspection } } })));
  return {
    services: { config, audit: { emit: () => {} } },
    session: { id: 'bench', principal: { subject: 'bench' } },
    req: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'blob' } },
    method: 'tools/call',
    security: config.mcp.security,
    response: { jsonrpc: '2.0', id: 1, result },
    audit: {},
    startedAt: 0,
  } as unknown as CallContext;
}

/** CPU µs per call (mean, process.cpuUsage) of the last `medianUs` run: on a busy machine the wall-clock median includes waiting for a CPU, this does not. */
let lastCpuUs = NaN;

async function medianUs(fn: () => Promise<unknown>, n: number): Promise<number> {
  for (let i = 0; i < Math.min(200, n); i++) await fn();
  const ms: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  const c = process.cpuUsage(cpu);
  lastCpuUs = (c.user + c.system) / n;
  return summarize(ms).p50 * 1000;
}

async function inProcess(): Promise<string[]> {
  const lines = [
    'In process, median per call (µs) and per KB:',
    '| result | stage (inspectResult) | µs/KB | CPU µs/KB | scan only (inspectLeaves) | µs/KB | of which DLP (scanDlp) µs/KB | injection rules (scanInjection) µs/KB | stage, model off µs/KB | stage, inspection off µs/KB | the model adds µs/KB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const cfg = configSchema.parse({ mcp: {} }).mcp.security.inspection;
  for (const size of SIZES) {
    const n = size >= 256 * KB ? (quick ? 50 : 200) : quick ? 500 : 3000;
    const result = { content: [{ type: 'text', text: benignText(size) }] };
    const stage = await medianUs(async () => {
      const ctx = context(result);
      await inspectResult(ctx, async () => {});
      if (ctx.resultChanged) throw new Error('benign text changed');
    }, n);
    const stageCpu = lastCpuUs;
    const scan = await medianUs(() => inspectLeaves(collectLeaves(result, '', { skipRootMeta: true }), cfg, 'result'), n);
    const dlp = await medianUs(() => scanDlp([{ text: result.content[0]!.text }]), n);
    const inj = await medianUs(async () => scanInjection(result.content[0]!.text), n);
    const stageOf = (inspection: Record<string, unknown>) => async () => {
      const ctx = context(result, inspection);
      await inspectResult(ctx, async () => {});
      if (ctx.resultChanged) throw new Error('benign text changed');
    };
    // Model on, model off, inspection off: interleaved in blocks, so the machine's slow spells are shared.
    const on: number[] = [], rulesOnly: number[] = [], off: number[] = [];
    for (let b = 0; b < 5; b++) {
      on.push(await medianUs(stageOf({}), Math.ceil(n / 5)));
      rulesOnly.push(await medianUs(stageOf({ injection: { model: { enabled: false } } }), Math.ceil(n / 5)));
      off.push(await medianUs(stageOf({ enabled: false }), Math.ceil(n / 5)));
    }
    const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perKb = (x: number) => (x / (size / KB)).toFixed(2);
    lines.push(`| ${size / KB} KB benign | ${stage.toFixed(1)} | ${perKb(stage)} | ${perKb(stageCpu)} | ${scan.toFixed(1)} | ${perKb(scan)} | ${perKb(dlp)} | ${perKb(inj)} | ${perKb(mid(rulesOnly))} | ${perKb(mid(off))} | ${perKb(mid(on) - mid(rulesOnly))} |`);
  }
  const leaky = { content: [{ type: 'text', text: `${benignText(1000)} token ghp_${'a1B2c3D4e5'.repeat(3)}a1B2c3` }] };
  const withSecret = await medianUs(async () => inspectResult(context(leaky), async () => {}), quick ? 200 : 1000);
  lines.push(`| 1 KB with a GitHub token (redacted; secretlint runs) | ${withSecret.toFixed(1)} | ${(withSecret / 1).toFixed(2)} | ${lastCpuUs.toFixed(2)} | | | | |`);
  return lines;
}

function endToEnd(): string[] {
  const dir = scratchDir();
  const yaml = (enabled: boolean) => `mcp:
  timeouts: { requestSeconds: 120, shutdownSeconds: 5 }
  state: { dir: ${JSON.stringify(join(dir, enabled ? 'on' : 'off'))} }
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit: { enabled: false }
    inspection: { enabled: ${enabled} }
`;
  const target = (name: string, enabled: boolean) => {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, yaml(enabled));
    return { name, command: NODE, args: [portcullis(), 'wrap', '--config', path, '--', NODE, MOCK, '--stdio'], cwd: dir };
  };
  const job = { targets: [target('on', true), target('off', false)], sizes: SIZES, latency: quick ? { calls: 300, warmup: 50, blocks: 3 } : { calls: 2000, warmup: 200, blocks: 10 } };
  const r = spawnSync(NODE, [join(import.meta.dirname, 'stdio-driver.ts'), JSON.stringify(job)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`stdio driver failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, Record<string, { latency: { p50: number } }>>;
  const lines = ['End to end through portcullis wrap (stdio, mock server), sequential tools/call, median latency:', '| result | inspection off | inspection on | on/off | added µs | added µs/KB |', '|---|---|---|---|---|---|'];
  for (const size of SIZES) {
    const on = out.on![size]!.latency.p50 * 1000;
    const off = out.off![size]!.latency.p50 * 1000;
    lines.push(`| ${size / KB} KB | ${off.toFixed(0)} µs | ${on.toFixed(0)} µs | ${(on / off).toFixed(2)} | ${(on - off).toFixed(0)} | ${((on - off) / (size / KB)).toFixed(2)} |`);
  }
  return lines;
}

const inProc = await inProcess();
process.stdout.write(inProc.join('\n') + '\n\n'); // before the end-to-end part, which a busy machine may stall
const report = endToEnd();
process.stdout.write(report.join('\n') + '\n');
