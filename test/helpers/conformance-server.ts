/**
 * The conformance suite's own example servers (../shared/conformance, with their licence) as real
 * upstreams for tests: copied into a test's work directory, bound to 127.0.0.1, `npm ci`-ed there
 * and run on loopback. 0.1.16's speaks 2025-11-25; 0.2.x's also serves 2026-07-28 requests
 * statelessly (server/discover, input_required results).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, NODE, ROOT } from './gateway-process.ts';

export const CONFORMANCE_SHARED = join(ROOT, '..', 'shared', 'conformance');
/** The example server versions kept in ../shared/conformance. */
export const SERVER_2025 = '0.1.16';
export const SERVER_2026 = '0.2.0-alpha.11';

/** Why a test cannot run here, or false. */
export const noConformanceServers = (): string | false => (existsSync(CONFORMANCE_SHARED) ? false : 'no ../shared/conformance (the suite\'s example servers) next to the repository');

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs);
    p.once('error', reject);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

export async function npm(args: string[], cwd: string): Promise<void> {
  const r = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, timeoutMs: 240_000 });
  assert.equal(r.code, 0, `npm ${args.join(' ')} in ${cwd}:\n${r.out}`);
}

/** Copy an example server here, bound to loopback, and install it. */
export async function prepareServer(version: string, dir: string): Promise<void> {
  cpSync(join(CONFORMANCE_SHARED, version), dir, { recursive: true });
  const file = join(dir, 'everything-server.ts');
  const src = readFileSync(file, 'utf8');
  // The example listens on every interface; ours must not (README of shared/conformance).
  const bound = src.replace(/app\.listen\(PORT,\s*\(\)/, "app.listen(Number(PORT), '127.0.0.1', ()");
  assert.notEqual(bound, src, 'could not bind the example server to 127.0.0.1 (its listen call changed)');
  writeFileSync(file, bound);
  await npm(['ci'], dir);
}

export async function startServer(dir: string, procs: ChildProcess[]): Promise<string> {
  const port = await freePort();
  const p = spawn(NODE, [join(dir, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'everything-server.ts'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`example server did not start:\n${out}`)), 60_000);
    const seen = (c: Buffer) => {
      out += c;
      if (out.includes('running on')) {
        clearTimeout(t);
        resolve();
      }
    };
    p.stdout!.on('data', seen);
    p.stderr!.on('data', (c) => (out += c));
    p.once('exit', (code) => reject(new Error(`example server exited with ${code}:\n${out}`)));
  });
  return `http://127.0.0.1:${port}/mcp`;
}

