/**
 * Start-up cost and per-call overhead of the sandbox, for the same server (server-everything,
 * stdio), with and without `sandbox.enabled` (bubblewrap):
 *   - start: the server alone, started the way the gateway starts it (SandboxLauncher,
 *     StdioTransport, Upstream.ensureReady: spawn → initialize answered), in this process, so
 *     that the gateway's own boot does not drown the difference; the two kinds interleaved;
 *   - calls: sequential `echo` round trips through a real `portcullis wrap`, client to server.
 * Medians over all samples (p99 for calls too).
 *
 *   node bench/sandbox-overhead.ts [starts=20] [calls=1000]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AuditLog } from '../src/audit/audit-log.ts';
import { SANDBOX_DEFAULTS } from '../src/config/sandbox-schema.ts';
import { SandboxLauncher } from '../src/sandbox/launcher.ts';
import { StdioTransport } from '../src/upstream/stdio-transport.ts';
import { Upstream } from '../src/upstream/upstream.ts';
import { BIN, EVERYTHING, NODE, ROOT } from '../test/helpers/gateway-process.ts';

const STARTS = Number(process.argv[2] ?? 20);
const CALLS = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-sandbox-'));

function config(sandboxed: boolean): string {
  const path = join(dir, `${sandboxed ? 'on' : 'off'}.yaml`);
  writeFileSync(
    path,
    `mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit: { enabled: false }
    sandbox:
      enabled: ${sandboxed}
      memoryLimit: 1g
      allowedPaths: [${join(ROOT, 'node_modules')}]
`,
  );
  return path;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function connect(cfg: string): Promise<{ client: Client; ms: number }> {
  const client = new Client({ name: 'bench', version: '1' });
  const t0 = performance.now();
  await client.connect(new StdioClientTransport({ command: NODE, args: [BIN, 'wrap', '--config', cfg, '--', NODE, EVERYTHING, 'stdio'], stderr: 'ignore' }));
  return { client, ms: performance.now() - t0 };
}

const launcher = new SandboxLauncher({ audit: new AuditLog({ sinks: [], events: [], level: 'summary' }), log: () => {} });
const settings = { ...SANDBOX_DEFAULTS, enabled: true, memoryLimit: '1g', allowedPaths: [join(ROOT, 'node_modules')] };
const initParams = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } };

/** One server start, spawn to initialized, as the gateway does it. */
async function startOnce(sandboxed: boolean): Promise<number> {
  const server = { name: 'everything', command: NODE, args: [EVERYTHING, 'stdio'] };
  const up = new Upstream(
    'everything',
    () =>
      new StdioTransport({
        ...server,
        env: process.env,
        maxMessageBytes: 4 << 20,
        onStderr: () => {},
        ...(sandboxed && { launch: () => launcher.launch({ server, settings }) }),
      }),
    { maxMessageBytes: 4 << 20, events: {} },
  );
  const t0 = performance.now();
  await up.ensureReady(initParams, 30_000);
  const ms = performance.now() - t0;
  await up.close();
  return ms;
}

async function calls(sandboxed: boolean): Promise<{ callMs: number; p99CallMs: number }> {
  const { client } = await connect(config(sandboxed));
  const ms: number[] = [];
  for (let i = 0; i < 50; i++) await client.callTool({ name: 'echo', arguments: { message: 'warm-up' } });
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await client.callTool({ name: 'echo', arguments: { message: `call ${i}` } });
    ms.push(performance.now() - t0);
  }
  await client.close();
  return { callMs: median(ms), p99CallMs: [...ms].sort((a, b) => a - b)[Math.floor(ms.length * 0.99)] };
}

const starts = { off: [] as number[], on: [] as number[] };
await startOnce(false); // warm the file cache
await startOnce(true);
for (let i = 0; i < STARTS; i++) {
  starts.off.push(await startOnce(false));
  starts.on.push(await startOnce(true));
}
// Interleave the call runs too, so that machine noise hits both alike.
const off = await calls(false);
const on = await calls(true);
const off2 = await calls(false);
const on2 = await calls(true);
const fmt = (x: number) => x.toFixed(2);
console.log(`server-everything (stdio); ${STARTS} starts of each kind; ${CALLS} sequential echo calls through portcullis wrap per run, two runs each`);
console.log(`server start (spawn → initialized): unsandboxed median ${fmt(median(starts.off))} ms, sandboxed median ${fmt(median(starts.on))} ms → start-up cost ${fmt(median(starts.on) - median(starts.off))} ms`);
console.log(`echo call through wrap: unsandboxed median ${fmt(off.callMs)} / ${fmt(off2.callMs)} ms (p99 ${fmt(off.p99CallMs)} / ${fmt(off2.p99CallMs)}), sandboxed median ${fmt(on.callMs)} / ${fmt(on2.callMs)} ms (p99 ${fmt(on.p99CallMs)} / ${fmt(on2.p99CallMs)})`);
console.log(`per-call overhead (median difference): ${fmt(on.callMs - off.callMs)} / ${fmt(on2.callMs - off2.callMs)} ms`);
