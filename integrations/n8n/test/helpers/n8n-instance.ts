/**
 * A real n8n from npm, headless: SQLite in its own user folder, the n8n-nodes-portcullis package
 * (built and packed by `npm pack`, unpacked) loaded as a custom extension (N8N_CUSTOM_EXTENSIONS),
 * Portcullis beside it as its peer dependency. Workflows are imported and published with n8n's
 * own CLI before the server starts, then run through their webhooks.
 *
 * Loaded from a custom extension directory, n8n names the nodes `CUSTOM.<name>`; installed from
 * the Community Nodes panel they are `n8n-nodes-portcullis.<name>` (what the templates say), so
 * the templates are imported with that prefix rewritten, and nothing else changed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

export const PKG = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO = join(PKG, '..', '..');
export const N8N_HOME = process.env.N8N_HOME ?? '/tmp/n8n-install';
export const N8N_BIN = join(N8N_HOME, 'node_modules', 'n8n', 'bin', 'n8n');
const NPM_CLI = process.env.NPM_CLI ?? '/usr/lib/node_modules/npm/bin/npm-cli.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `npm pack` of the built package, unpacked under `root/n8n-nodes-portcullis`; Portcullis at `root/node_modules/portcullis`. */
export function installPackage(root: string): { extDir: string; tarball: string } {
  const packed = spawnSync(process.execPath, [NPM_CLI, 'pack', '--json', '--pack-destination', root], { cwd: PKG, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  // The prepack build prints first; the JSON array is the rest.
  const json = packed.stdout.slice(packed.stdout.search(/^\[\s*$/m));
  const tarball = join(root, (JSON.parse(json) as { filename: string }[])[0]!.filename);
  const extDir = join(root, 'n8n-nodes-portcullis');
  mkdirSync(extDir, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', extDir, '--strip-components=1']);
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  // The peer dependency: this checkout, whose dist/ the package build made.
  symlinkSync(REPO, join(root, 'node_modules', 'portcullis'));
  return { extDir, tarball };
}

export interface N8n {
  url: string;
  userFolder: string;
  proc?: ChildProcess;
  log: () => string;
  cli(args: string[]): { status: number | null; stdout: string; stderr: string };
  start(readyPath?: string): Promise<void>;
  stop(): Promise<void>;
  executions(): Array<{ id: number; workflowId: string; status: string; data: string }>;
}

export async function n8nInstance(extDir: string, port?: number): Promise<N8n> {
  const userFolder = mkdtempSync(join(tmpdir(), 'n8n-user-'));
  port ??= await freePort();
  const fullEnv = {
    ...process.env,
    N8N_USER_FOLDER: userFolder,
    DB_TYPE: 'sqlite',
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    N8N_PROTOCOL: 'http',
    N8N_WEBHOOK_URL: `http://127.0.0.1:${port}/`,
    N8N_CUSTOM_EXTENSIONS: extDir,
    N8N_ENCRYPTION_KEY: 'portcullis-n8n-test-key',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_SECURE_COOKIE: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    N8N_LOG_LEVEL: 'info',
  };
  let out = '';
  const inst: N8n = {
    url: `http://127.0.0.1:${port}`,
    userFolder,
    log: () => out,
    cli(args) {
      const r = spawnSync(process.execPath, [N8N_BIN, ...args], { env: fullEnv, encoding: 'utf8', timeout: 180_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    async start(readyPath = 'secure-mcp') {
      const proc = spawn(process.execPath, [N8N_BIN, 'start'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      inst.proc = proc;
      proc.stdout!.on('data', (c) => (out += c));
      proc.stderr!.on('data', (c) => (out += c));
      const deadline = Date.now() + 240_000;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`n8n exited with ${proc.exitCode}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`n8n did not become ready:\n${out}`);
        // "n8n ready" comes before the published workflows' webhooks are registered: ready is when
        // a GET to one of them is answered "registered for POST" (never running it).
        const probe = await fetch(`${inst.url}/webhook/${readyPath}`).then((r) => r.text(), () => '');
        if (/Did you mean to make a POST request/i.test(probe)) return;
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    stop() {
      const proc = inst.proc;
      if (!proc || proc.exitCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
    executions() {
      const db = new DatabaseSync(join(userFolder, '.n8n', 'database.sqlite'), { readOnly: true });
      try {
        return db
          .prepare('SELECT e.id AS id, e.workflowId AS workflowId, e.status AS status, d.data AS data FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id ORDER BY e.id')
          .all() as Array<{ id: number; workflowId: string; status: string; data: string }>;
      } finally {
        db.close();
      }
    },
  };
  return inst;
}

/** A template as the custom-extension install names its nodes, with the given changes. */
export function template(file: string, edit: (wf: Record<string, any>) => void = () => {}): Record<string, any> {
  const text = readFileSync(join(PKG, 'templates', file), 'utf8').replaceAll('"n8n-nodes-portcullis.', '"CUSTOM.');
  const wf = JSON.parse(text) as Record<string, any>;
  edit(wf);
  return wf;
}

export function writeJson(dir: string, name: string, value: unknown): string {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(value, null, 2));
  return p;
}
