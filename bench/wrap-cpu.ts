/**
 * `node bench/wrap-cpu.ts [--base <tree>] [--rounds N] [--calls N] [--profile full|min]`: the
 * main-thread CPU that `portcullis wrap`'s gateway spends per sequential 1 KB tools/call, measured
 * inside the gateway's own process (`process.threadCpuUsage`), so a change to the stdio path can
 * be judged on a busy machine: the stdio latency of bench/stdio-ab.ts moves with whatever else
 * the two cores run, the CPU a call costs the event loop much less.
 *
 * Each tree (this one, and `--base`, another checkout's root) runs in a child process of its own:
 * the gateway as `wrap` builds it (the bench's G configuration, bench/configs.ts, with monitoring,
 * the audit file and the event store) serving MCP on in-process streams, in front of the bench's
 * mock server as a real stdio child. The client is in the same process (its share is the same for
 * both trees). Trees alternate, `--rounds` times; each prints the median of three measured runs
 * of `--calls` calls after 1,000 warm-up calls. Writes nothing to bench/results.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { benchArgs } from './cli-args.ts';
import { MOCK, NODE, scratchDir } from './targets.ts';

const USAGE = 'usage: node bench/wrap-cpu.ts [--base <tree>] [--rounds N] [--calls N] [--profile full|min]';
const values = benchArgs(USAGE, {
  base: { type: 'string' },
  rounds: { type: 'string', default: '3' },
  calls: { type: 'string', default: '4000' },
  profile: { type: 'string', default: 'full' },
  child: { type: 'string' },
});

async function measure(tree: string, calls: number, profile: 'full' | 'min'): Promise<number[]> {
  const { loadConfigText } = await import(join(tree, 'src/config/load.ts'));
  const { Gateway } = await import(join(tree, 'src/gateway/gateway.ts'));
  const { serveStdio } = await import(join(tree, 'src/transports/stdio-server.ts'));
  const { createLogger, lineLogger } = await import(join(tree, 'src/monitor/logger.ts'));
  const { startMonitoring } = await import(join(tree, 'src/monitor/monitoring.ts'));
  const { gatewayYaml } = await import('./configs.ts');
  const dir = mkdtempSync(join(scratchDir(), 'wrap-cpu-'));
  process.chdir(dir); // the event store lives under the working directory
  const yaml = gatewayYaml(profile, { command: NODE, args: [MOCK, '--stdio'] }, { auditPath: join(dir, 'audit.log') });
  const loaded = loadConfigText(yaml.replace('    - name: mock\n', '    - name: upstream\n'), join(dir, 'portcullis.yaml'));
  const logger = createLogger({ level: 'error', mode: 'wrap' });
  const mon = await startMonitoring(loaded, 'wrap', logger);
  const gw = new Gateway(loaded, { mode: 'wrap', audit: mon.audit, log: lineLogger(logger), incident: mon.incident, monitor: mon.metrics });
  await mon.attach(gw);
  await gw.start();
  const input = new PassThrough();
  const output = new PassThrough();
  void serveStdio(gw, input, output);
  const waiting = new Map<number, () => void>();
  let held = '';
  output.on('data', (c: Buffer) => {
    held += c.toString('utf8');
    for (let nl = held.indexOf('\n'); nl >= 0; nl = held.indexOf('\n')) {
      const m = /"id":(\d+)/.exec(held.slice(0, Math.min(nl, 80)));
      held = held.slice(nl + 1);
      if (m) waiting.get(Number(m[1]))?.();
    }
  });
  let next = 1;
  const call = (method: string, params: unknown) =>
    new Promise<void>((done) => {
      const id = next++;
      waiting.set(id, () => {
        waiting.delete(id);
        done();
      });
      input.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  await call('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'wrap-cpu', version: '1' } });
  input.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  const blob = () => call('tools/call', { name: 'blob', arguments: { size: 1024 } });
  for (let i = 0; i < 1000; i++) await blob();
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const c0 = process.threadCpuUsage();
    for (let i = 0; i < calls; i++) await blob();
    const c = process.threadCpuUsage(c0);
    runs.push((c.user + c.system) / calls);
  }
  await gw.shutdown('done');
  await mon.close();
  return runs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const calls = Number(values.calls);
const profile = values.profile === 'min' ? 'min' : 'full';
if (values.child) {
  process.stdout.write(`${JSON.stringify(await measure(values.child, calls, profile))}\n`);
  process.exit(0);
}
const trees: Array<[string, string]> = [['this', resolve(import.meta.dirname, '..')]];
if (values.base) trees.unshift(['base', resolve(values.base)]);
const all = new Map<string, number[]>(trees.map(([name]) => [name, []]));
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, tree] of trees) {
    const p = spawnSync(NODE, [import.meta.filename, '--child', tree, '--calls', String(calls), '--profile', profile], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`${name}: ${p.stderr}`);
    const runs = JSON.parse(p.stdout.trim().split('\n').pop()!) as number[];
    all.get(name)!.push(median(runs));
    console.log(`${name.padEnd(5)} round ${r + 1}: ${median(runs).toFixed(1)} µs main-thread CPU per call (runs ${runs.map((x) => x.toFixed(1)).join(', ')})`);
  }
}
for (const [name, xs] of all) console.log(`${name.padEnd(5)} median of ${xs.length} rounds: ${median(xs).toFixed(1)} µs per call (profile ${profile})`);
