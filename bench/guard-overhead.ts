/**
 * What the embedded guard adds to a tool call, in process (docs/embedding.md).
 *
 *   node bench/guard-overhead.ts [--quick]
 *
 * Two v1 SDK clients, each connected over stdio to its own copy of the bench's mock server
 * (bench/mock-server.ts): one raw, one wrapped by a Guard (defaults, `blob` allowed, rate limits off,
 * audit to a file, inspection on). Sequential `tools/call blob` at 1 and 16 KB, alternating blocks
 * of calls between the two so the machine's slow spells are shared; medians in ms and the
 * difference guarded − raw.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Guard } from '../src/embed/guard.ts';
import { summarize } from './stats.ts';
import { MOCK, NODE } from './targets.ts';

const quick = process.argv.includes('--quick');
const BLOCKS = quick ? 5 : 20;
const PER_BLOCK = quick ? 20 : 50;

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-guard-'));
const cfg = join(dir, 'portcullis.yaml');
writeFileSync(cfg, `mcp:\n  state: {dir: "${dir}/state"}\n  security:\n    toolAccess: {defaultPolicy: deny, allowedTools: [blob]}\n    rateLimiting: {enabled: false}\n    audit:\n      destinations: [{type: file, path: "${dir}/audit.log", rotation: none}]\n  skills:\n    - name: mock\n`);

async function connect(): Promise<Client> {
  const c = new Client({ name: 'bench-guard', version: '1' });
  await c.connect(new StdioClientTransport({ command: NODE, args: [MOCK, '--stdio'], stderr: 'ignore' }));
  return c;
}

const guard = await Guard.fromConfig(cfg, { log: () => {} });
const raw = await connect();
const guarded = guard.wrap(await connect(), { server: 'mock' });
await guarded.listTools();

for (const size of [1024, 16 * 1024]) {
  const times = { raw: [] as number[], guarded: [] as number[] };
  for (let b = 0; b < BLOCKS; b++) {
    for (const [name, c] of [['raw', raw], ['guarded', guarded]] as const) {
      for (let i = 0; i < PER_BLOCK; i++) {
        const t0 = performance.now();
        await c.callTool({ name: 'blob', arguments: { size } });
        times[name].push(performance.now() - t0);
      }
    }
  }
  const r = summarize(times.raw);
  const g = summarize(times.guarded);
  console.log(`${size / 1024} KB: raw p50 ${r.p50.toFixed(3)} ms p90 ${r.p90.toFixed(3)} | guarded p50 ${g.p50.toFixed(3)} ms p90 ${g.p90.toFixed(3)} | added p50 ${(g.p50 - r.p50).toFixed(3)} ms (n=${r.n} each)`);
}
await raw.close();
await guarded.close();
await guard.close();
