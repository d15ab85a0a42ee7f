/**
 * `npm run bench -- --profile [--size KB] [--config full|min|noaudit]`: G (full policy, unless told) on the HTTP workload (default 16 KB,
 * 64 connections, 2026-07-28 stateless requests) under `node --cpu-prof`, then a summary of where
 * its CPU goes. Writes bench/results/profile-g-<size>k-http.{md,json} and keeps the raw
 * .cpuprofile beside them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { summarize, summaryMarkdown, type CpuProfile } from './cpuprofile-summary.ts';
import { httpThroughput } from './load.ts';
import type { GatewayProfile } from './configs.ts';
import { checkBlob } from './mcp-wire.ts';
import { stop } from './procs.ts';
import { BENCH, portcullis, ROOT, scratchDir, startGateway, startMockHttp } from './targets.ts';

export async function runProfile(opts: { seconds: number; sizeKb: number; config?: GatewayProfile; log: (m: string) => void }): Promise<void> {
  const size = opts.sizeKb * 1024;
  const config = opts.config ?? 'full';
  const label = config === 'full' ? 'G' : `G-${config}`;
  const base = `profile-${label.toLowerCase()}-${opts.sizeKb}k-http`;
  const profDir = mkdtempSync(join(scratchDir(), 'cpuprof-'));
  const mock = await startMockHttp();
  try {
    const g = await startGateway({ name: `${label}-prof`, profile: config, upstream: { url: mock.url }, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
    await checkBlob(g.url, 'stateless', size);
    opts.log(`profiling ${label} (pid ${g.pid}) on ${opts.sizeKb} KB HTTP for ${opts.seconds} s`);
    const t = (
      await httpThroughput({ targets: [{ name: label, url: g.url, form: 'stateless', cpuPid: g.pid }], sizes: [size], connections: 64, seconds: opts.seconds, warmupSeconds: 2, rounds: 1 })
    )[label][size];
    opts.log(`  ${t.rps.toFixed(0)} req/s, ${t.cpuMsPerRequest?.toFixed(3)} ms CPU/req`);
    await stop(g.proc, 30_000); // SIGTERM: a clean exit is what writes the profile
    // Worker threads (the audit store's, a classifier's) write their own profiles: the main
    // thread's is the largest.
    const file = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((a, b) => statSync(join(profDir, b)).size - statSync(join(profDir, a)).size)[0];
    if (!file) throw new Error(`no .cpuprofile written in ${profDir}`);
    const profile = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
    const s = summarize(profile, [ROOT, dirname(dirname(portcullis()))], 35);
    const out = join(BENCH, 'results');
    mkdirSync(out, { recursive: true });
    copyFileSync(join(profDir, file), join(out, `${base}.cpuprofile`));
    writeFileSync(join(out, `${base}.json`), JSON.stringify({ throughput: t, summary: s }, null, 2) + '\n');
    writeFileSync(
      join(out, `${base}.md`),
      `# CPU profile: ${label} (${config} policy), ${opts.sizeKb} KB tools/call over HTTP, 64 connections\n\n` +
        `${t.rps.toFixed(0)} req/s, ${t.cpuMsPerRequest?.toFixed(3)} ms CPU per request during the measured ${opts.seconds} s (the profile also covers start-up and warm-up).\n\n` +
        summaryMarkdown(s),
    );
    opts.log(`wrote ${join(out, `${base}.md`)}`);
  } finally {
    await stop(mock.proc);
  }
}
