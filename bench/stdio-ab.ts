/**
 * `node bench/stdio-ab.ts [--base <bin>] [--sizes 1,256] [--calls N] [--blocks N] [--seconds S] [--vary] [--cpu-prof DIR]`:
 * the stdio rows of `npm run bench` for `portcullis wrap` alone, so a change to the stdio path can
 * be judged in minutes: B0 (the mock alone), G (this tree, full policy) and, with `--base`, G from
 * another build (its bin/portcullis.cjs) — all in one stdio-driver run, interleaved in blocks
 * (latency) and rotated rounds (throughput, CPU per request), so machine load hits each alike.
 * Prints added p50 over B0, the issue-20 ratio against a 0.46 ms server, and CPU ms per request.
 * `--cpu-prof DIR` runs this tree's G under `node --cpu-prof` (profiles land in DIR on exit).
 * `--vary`: every call's result text is its own (the mock puts the call's number in front), so
 * nothing in a gateway can answer a call from what an earlier one read.
 * Writes nothing to bench/results.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './cli-args.ts';
import { gatewayYaml } from './configs.ts';
import { stdioRun, type StdioSizeResult } from './load.ts';
import type { StdioTarget } from './stdio-driver.ts';
import { MOCK, MOCK_STDIO, NODE, portcullis, scratchDir } from './targets.ts';

const USAGE = 'usage: node bench/stdio-ab.ts [--base <tree>/bin/portcullis.cjs] [--sizes 1,256] [--calls N] [--blocks N] [--seconds S] [--rounds N] [--vary] [--profile full|min] [--cpu-prof DIR]';
const values = benchArgs(USAGE, {
  base: { type: 'string' },
  sizes: { type: 'string', default: '1,256' },
  calls: { type: 'string', default: '3000' },
  blocks: { type: 'string', default: '10' },
  seconds: { type: 'string', default: '1.5' },
  rounds: { type: 'string', default: '2' },
  'cpu-prof': { type: 'string' },
  vary: { type: 'boolean', default: false },
  profile: { type: 'string', default: 'full' },
});

const profile = values.profile as 'full' | 'min';
function wrap(name: string, bin: string, nodeFlags: string[] = []): StdioTarget {
  const dir = mkdtempSync(join(scratchDir(), `ab-${name}-`));
  const config = join(dir, 'portcullis.yaml');
  writeFileSync(config, gatewayYaml(profile, MOCK_STDIO, { auditPath: join(dir, 'audit.log') }));
  return { name, command: NODE, args: [...nodeFlags, bin, 'wrap', '--config', config, '--', NODE, MOCK, '--stdio'], cwd: dir };
}

const targets: StdioTarget[] = [{ name: 'B0', command: NODE, args: [MOCK, '--stdio'] }];
if (values.base) targets.push(wrap('base', values.base));
targets.push(wrap('this', portcullis(), values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []));

const sizes = values.sizes.split(',').map((s) => Number(s) * 1024);
const calls = Number(values.calls);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const load0 = loadavg()[0];
const r = await stdioRun(
  {
    targets,
    sizes,
    latency: { calls, warmup: 300, blocks: Number(values.blocks) },
    throughput: { durationMs: seconds * 1000, window: 64, warmupMs: 300, rounds },
    vary: values.vary,
  },
  600_000,
);
console.log(`load average (1 min) ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end; profile ${profile}${values.vary ? '; a different result text per call' : ''}`);
console.log('target  size     p50 ms   p99 ms   added p50 ms   ÷0.46 ms server   CPU ms/call (sequential)   req/s    CPU ms/req (64 in flight)');
for (const size of sizes) {
  const b0 = (r.B0[size] as StdioSizeResult).latency!.p50;
  for (const t of targets) {
    const s = r[t.name][size] as StdioSizeResult;
    const added = s.latency!.p50 - b0;
    console.log(
      `${t.name.padEnd(6)}  ${`${size / 1024} KB`.padEnd(7)}  ${s.latency!.p50.toFixed(3).padStart(6)}  ${s.latency!.p99.toFixed(3).padStart(7)}   ${added.toFixed(3).padStart(12)}   ${((added + 0.46) / 0.46).toFixed(3).padStart(15)}   ${(s.latency!.cpuMsPerCall ?? NaN).toFixed(4).padStart(24)}   ${s.throughput!.rps.toFixed(0).padStart(6)}   ${s.throughput!.cpuMsPerRequest.toFixed(3).padStart(10)}`,
    );
  }
}
