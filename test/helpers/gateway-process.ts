/**
 * Test helpers: a real gateway in a real process, fronting real servers from npm.
 * Nothing here mocks the gateway; tests talk to it over real pipes and sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NODE = process.execPath;
export const BIN = join(ROOT, 'bin', 'portcullis.cjs');
const req = createRequire(join(ROOT, 'package.json'));
export const EVERYTHING = req.resolve('@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM = req.resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
export const MEMORY = req.resolve('@modelcontextprotocol/server-memory/dist/index.js');
/** The `servers:` block (under `mcp:`, two-space indent) with server-everything over stdio, for test configs. */
export const EVERYTHING_STDIO = `  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]`;

export function tempDir(prefix = 'portcullis-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunningGateway {
  url: string;
  proc: ChildProcess;
  dir: string;
  auditPath: string;
  stderr: () => string;
  /** SIGTERM, wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  audit(): Record<string, unknown>[];
}

/**
 * Start `portcullis run` with the given YAML (a `${AUDIT}` placeholder becomes the audit path,
 * `${NODE}`/`${EVERYTHING}`/... the local binaries). Listens on a free port.
 */
export async function startGateway(yaml: string, extraArgs: string[] = [], opts: { dir?: string; startTimeoutMs?: number } = {}): Promise<RunningGateway> {
  // `dir` reuses a directory: a restarted gateway finds its state (./portcullis-state) again.
  const dir = opts.dir ?? tempDir();
  const auditPath = join(dir, 'audit.log');
  let text = substitute(yaml, { AUDIT: auditPath, DIR: dir });
  // Tests run in parallel: without its own `listen`, a gateway takes a free port, never 9470.
  if (!/^\s+listen:/m.test(text)) text = text.replace(/^mcp:\s*$/m, 'mcp:\n  listen: { host: 127.0.0.1, port: 0, path: /mcp }');
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, text);
  const proc = spawn(NODE, [BIN, 'run', '--config', cfg, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    // A gateway that did not start in time is stopped: left running, it would keep the test process alive.
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`gateway did not start:\n${err}`));
    }, opts.startTimeoutMs ?? 30_000);
    proc.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`gateway exited with ${code}:\n${err}`));
    });
  });
  return {
    url,
    proc,
    dir,
    auditPath,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
        proc.kill('SIGTERM');
      }),
    audit: () => readAudit(auditPath),
  };
}

export function readAudit(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function substitute(text: string, extra: Record<string, string> = {}): string {
  const vars: Record<string, string> = { NODE, EVERYTHING, FILESYSTEM, MEMORY, ...extra };
  return text.replace(/\$\{(NODE|EVERYTHING|FILESYSTEM|MEMORY|AUDIT|DIR)\}/g, (_, k: string) => JSON.stringify(vars[k]).slice(1, -1));
}

/** argv for a client to launch `portcullis wrap [--config FILE] -- <server...>`. */
export function wrapCommand(server: string[], configPath?: string): { command: string; args: string[] } {
  return { command: NODE, args: [BIN, 'wrap', ...(configPath ? ['--config', configPath] : []), '--', ...server] };
}

/** Write a config file (with substitutions) into a fresh temp dir; returns its path and dir. */
export function writeConfig(yaml: string): { path: string; dir: string; auditPath: string } {
  const dir = tempDir();
  const auditPath = join(dir, 'audit.log');
  const path = join(dir, 'config.yaml');
  writeFileSync(path, substitute(yaml, { AUDIT: auditPath, DIR: dir }));
  return { path, dir, auditPath };
}

/** A TCP port that was free on 127.0.0.1 a moment ago (for servers that cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** SIGTERM a child, SIGKILL it if it is still there after `graceMs`; resolves with its exit code. */
export function stopProcess(proc: ChildProcess, graceMs = 15_000): Promise<number | null> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
    const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
    proc.kill('SIGTERM');
  });
}

export interface RunningChild {
  url: string;
  proc: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * server-everything over Streamable HTTP, as a child of the test (`PORT=<free> node <everything>
 * streamableHttp`); resolves once it says it listens. A lost race for the port is retried.
 */
export async function startEverythingHttp(attempts = 3): Promise<RunningChild> {
  for (let i = 1; ; i++) {
    const port = await freePort();
    const proc = spawn(NODE, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const listening = await new Promise<boolean>((resolve) => {
      proc.stderr!.on('data', (c) => {
        err += c;
        if (/listening on port/.test(err)) resolve(true);
      });
      proc.once('exit', () => resolve(false));
    });
    if (listening) return { url: `http://127.0.0.1:${port}/mcp`, proc, stop: () => stopProcess(proc) };
    if (i >= attempts) throw new Error(`server-everything (streamableHttp) did not start:\n${err}`);
  }
}

/** The text items of a tool result, joined (a result's `content` is a list of typed items). */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type?: string; text?: string }[] }).content ?? [];
  return content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

export interface RpcErrorShape {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

/** Await a call that must fail with a JSON-RPC error (an SDK `McpError`); returns code, message and data. */
export async function rpcError(call: Promise<unknown>): Promise<RpcErrorShape> {
  try {
    await call;
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; data?: unknown };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, message: String(e.message), data: e.data as Record<string, unknown> | undefined };
  }
  throw new Error('expected the call to fail with a JSON-RPC error, but it succeeded');
}

/** The text of a resources/read result's first item ('' for a blob). */
export function resourceText(result: { contents: ({ text: string } | { blob: string })[] }): string {
  const c = result.contents[0];
  return c && 'text' in c ? c.text : '';
}

/**
 * Run the portcullis CLI without blocking the test's event loop (spawnSync would: an SDK client's
 * idle keep-alive socket can then be closed by the gateway under it, and its next call fails
 * with "other side closed" on a loaded machine).
 */
export function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}
