/**
 * `npm run bench -- --ab <bin>[,<bin>...] [--quick] [--config full|min|noaudit]`: this tree's G
 * against candidate builds' G (each `<bin>` a bin/portcullis.cjs; the same policy, full unless
 * told; the same HTTP mock; 2026-07-28 stateless and 2025 session requests), measured
 * interleaved with B1 (the bare byte proxy), so a proposed fix can be judged before it lands.
 * Prints a markdown table; writes nothing to bench/results.
 */
import { basename, dirname } from 'node:path';
import type { CannonTarget } from './cannon.ts';
import type { GatewayProfile } from './configs.ts';
import { httpThroughput } from './load.ts';
import { openSession } from './mcp-wire.ts';
import { stop } from './procs.ts';
import { startByteProxy, startGateway, startMockHttp, type Endpoint } from './targets.ts';

export async function runAb(opts: { candidates: string[]; quick: boolean; config?: GatewayProfile; log: (m: string) => void }): Promise<void> {
  const sizes = [1024, 16 * 1024, 256 * 1024];
  const eps: Endpoint[] = [];
  try {
    const mock = await startMockHttp();
    eps.push(mock);
    // B1, the bare byte proxy, in the same interleaved run: the issue-20 ratio G÷B1 for each build.
    const b1 = await startByteProxy(mock.url);
    eps.push(b1);
    const builds: [string, string | undefined][] = [['current', undefined], ...opts.candidates.map((c) => [basename(dirname(dirname(c))), c] as [string, string])];
    const targets: CannonTarget[] = [{ name: 'B1 (byte proxy)', url: b1.url, form: 'stateless', cpuPid: b1.pid }];
    for (const [label, bin] of builds) {
      const g = await startGateway({ name: `ab-${label}`, profile: opts.config ?? 'full', upstream: { url: mock.url }, bin });
      eps.push(g);
      targets.push({ name: label, url: g.url, form: 'stateless', cpuPid: g.pid });
      targets.push({ name: `${label} (session)`, url: g.url, form: 'session', sessionId: await openSession(g.url), cpuPid: g.pid });
    }
    opts.log(`A/B: ${builds.map(([l, b]) => `${l}=${b ?? 'this tree'}`).join(', ')}`);
    const r = await httpThroughput({ targets, sizes, connections: 64, seconds: opts.quick ? 1 : 2.5, warmupSeconds: opts.quick ? 0.3 : 1, rounds: opts.quick ? 1 : 3 });
    const lines = [
      '| G build | ' + sizes.map((s) => `${s / 1024} KB req/s | ${s / 1024} KB CPU ms/req`).join(' | ') + ' |',
      '| --- |' + sizes.map(() => ' ---: | ---: |').join(''),
    ];
    for (const t of targets) lines.push(`| ${t.name} | ` + sizes.map((s) => `${r[t.name][s].rps.toFixed(0)} | ${r[t.name][s].cpuMsPerRequest?.toFixed(3)}`).join(' | ') + ' |');
    const base = targets[0].name;
    lines.push('', '| G build | ' + sizes.map((s) => `${s / 1024} KB G÷B1 req/s`).join(' | ') + ' |', '| --- |' + sizes.map(() => ' ---: |').join(''));
    for (const t of targets.slice(1)) lines.push(`| ${t.name} | ` + sizes.map((s) => (r[t.name][s].rps / r[base][s].rps).toFixed(2)).join(' | ') + ' |');
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const ep of eps.reverse()) await stop(ep.proc);
  }
}
