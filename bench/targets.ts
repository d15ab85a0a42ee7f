/**
 * Starting each configuration under test over HTTP, on 127.0.0.1 only, as tracked processes:
 * the mock server (B0), the byte proxy (B1), Portcullis (G, G-min) and the two peers.
 * Every start resolves once the endpoint answers, with the URL and the pid to read CPU and RSS from.
 */
import { cpSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayYaml, type GatewayProfile, type Upstream } from './configs.ts';
import { start, waitFor, type Tracked } from './procs.ts';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH, '..');
export const NODE = process.execPath;
export const MOCK = join(BENCH, 'mock-server.ts');
let portcullisBin = join(ROOT, 'bin', 'portcullis.cjs');
/** The gateway every configuration runs: this tree's, or the run's snapshot of it. */
export const portcullis = (): string => portcullisBin;

/**
 * Copies src/ and bin/ to the scratch directory and runs every gateway of the run from there, so
 * the whole run measures one version of the code even while the tree is being edited.
 */
export function snapshotTree(): string {
  const dir = join(scratchDir(), 'tree');
  for (const d of ['src', 'bin']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  portcullisBin = join(dir, 'bin', 'portcullis.cjs');
  return dir;
}
const MCP_PROXY = join(ROOT, 'node_modules', 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs');
const SUPERGATEWAY = join(ROOT, 'node_modules', 'supergateway', 'dist', 'index.js');

export const MOCK_STDIO: Upstream = { command: NODE, args: [MOCK, '--stdio'] };

export interface Endpoint {
  name: string;
  url: string;
  /** The process whose CPU and memory are the proxy's (for B0: the server's own). */
  pid: number;
  proc: Tracked;
}

let scratch: string | undefined;
export function scratchDir(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  return scratch;
}

// stdin is a pipe the bench holds: the helpers exit when it closes, so none outlives the bench.
const HELD_STDIN = { stdio: ['pipe', 'pipe', 'pipe'] as ('pipe' | 'ignore')[] };

export async function startMockHttp(): Promise<Endpoint> {
  const proc = start('mock-http', NODE, [MOCK, '--http', '0'], HELD_STDIN);
  const m = await waitFor(proc, /listening on (http:\/\/\S+)/);
  return { name: 'B0', url: m[1], pid: proc.pid, proc };
}

export async function startByteProxy(upstreamUrl: string): Promise<Endpoint> {
  const proc = start('byte-proxy', NODE, [join(BENCH, 'byte-proxy.ts'), upstreamUrl], HELD_STDIN);
  const m = await waitFor(proc, /listening on (http:\/\/\S+)/);
  return { name: 'B1', url: m[1], pid: proc.pid, proc };
}

export interface GatewayStart {
  name: string;
  profile: GatewayProfile;
  upstream: Upstream;
  sessionIdleSeconds?: number;
  /** Extra Node flags for the gateway process (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Another build's bin/portcullis.cjs, to A/B a candidate fix against this tree. */
  bin?: string;
  env?: NodeJS.ProcessEnv;
}

export async function startGateway(g: GatewayStart): Promise<Endpoint & { auditPath: string; configPath: string }> {
  const dir = mkdtempSync(join(scratchDir(), `${g.name}-`));
  const auditPath = join(dir, 'audit.log');
  const configPath = join(dir, 'portcullis.yaml');
  writeFileSync(configPath, gatewayYaml(g.profile, g.upstream, { auditPath, sessionIdleSeconds: g.sessionIdleSeconds }));
  const proc = start(g.name, NODE, [...(g.nodeFlags ?? []), g.bin ?? portcullis(), 'run', '--config', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: g.env ? { ...process.env, ...g.env } : undefined });
  const m = await waitFor(proc, /listening on (http:\/\/\S+)/);
  return { name: g.name, url: m[1], pid: proc.pid, proc, auditPath, configPath };
}

/** A port that was free on 127.0.0.1 a moment ago, for peers that cannot listen on port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls until an `initialize` POST succeeds (peers print nothing reliable when ready). */
async function untilServing(url: string, proc: Tracked, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.proc.exitCode !== null) throw new Error(`${proc.name} exited with ${proc.proc.exitCode}:\n${proc.stderr().slice(-3000)}`);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'ping' }),
      });
      await res.arrayBuffer();
      if (res.status < 500) return; // any answer from the HTTP layer means it listens
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${proc.name} not serving ${url} after ${timeoutMs} ms:\n${proc.stderr().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** mcp-proxy with its defaults, Streamable HTTP only, bound to loopback. */
export async function startMcpProxy(): Promise<Endpoint> {
  const port = await freePort();
  const proc = start('mcp-proxy', NODE, [MCP_PROXY, '--port', String(port), '--host', '127.0.0.1', '--server', 'stream', '--', NODE, MOCK, '--stdio'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: scratchDir(),
  });
  const url = `http://127.0.0.1:${port}/mcp`;
  await untilServing(url, proc);
  return { name: 'mcp-proxy', url, pid: proc.pid, proc };
}

/**
 * supergateway, stdio -> Streamable HTTP, stateful (its stateless mode spawns a server per
 * request), logging off (its default logs every message). It calls `listen(port)` without a
 * host, so a preload binds it to loopback.
 */
export async function startSupergateway(): Promise<Endpoint> {
  const port = await freePort();
  const proc = start(
    'supergateway',
    NODE,
    ['--import', join(BENCH, 'loopback-only.ts'), SUPERGATEWAY, '--stdio', `${NODE} ${MOCK} --stdio`, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: scratchDir() },
  );
  const url = `http://127.0.0.1:${port}/mcp`;
  await untilServing(url, proc);
  return { name: 'supergateway', url, pid: proc.pid, proc };
}
