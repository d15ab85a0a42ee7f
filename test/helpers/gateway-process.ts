/**
 * Test helpers: a real gateway in a real process, fronting real servers from npm.
 * Nothing here mocks the gateway; tests talk to it over real pipes and sockets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
export async function startGateway(yaml: string, extraArgs: string[] = []): Promise<RunningGateway> {
  const dir = tempDir();
  const auditPath = join(dir, 'audit.log');
  const text = substitute(yaml, { AUDIT: auditPath, DIR: dir });
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, text);
  const proc = spawn(NODE, [BIN, 'run', '--config', cfg, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`gateway did not start:\n${err}`)), 30_000);
    proc.stdout!.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
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
