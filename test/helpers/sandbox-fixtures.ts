/**
 * Shared by the sandbox e2e tests: the hostile server, directories a sandbox may use, and an MCP
 * client (v1 SDK over Streamable HTTP) that returns each tool's JSON report or its error.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ROOT, startGateway, type RunningGateway } from './gateway-process.ts';

export const HOSTILE = join(ROOT, 'test', 'fixtures', 'sandbox', 'hostile-server.cjs');
export const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'sandbox');

/**
 * A host directory a sandbox may bind. When the tests run as root, sandboxes run as an
 * unprivileged host user (sandbox.hostUid), so the directory must be reachable by others.
 */
export function sandboxDir(prefix: string, writable: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, writable ? 0o777 : 0o755);
  return dir;
}

export interface ToolOutcome {
  report?: Record<string, unknown>;
  error?: { code: number; message: string; data?: { reason?: string } };
}

export async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'sandbox-tests', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

export async function call(client: Client, name: string, args: Record<string, unknown> = {}, timeout = 120_000): Promise<ToolOutcome> {
  try {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout });
    const text = (r.content as { type: string; text: string }[])[0]?.text ?? '';
    return { report: JSON.parse(text) as Record<string, unknown> };
  } catch (e) {
    const err = e as { code?: number; message?: string; data?: { reason?: string } };
    if (typeof err.code !== 'number') throw e;
    return { error: { code: err.code, message: String(err.message), data: err.data } };
  }
}

/** Poll `fn` until it returns a truthy value (bounded); for effects that land asynchronously. */
export async function eventually<T>(fn: () => T | Promise<T>, what: string, ms = 30_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SandboxGateway {
  gw: RunningGateway;
  client: Client;
  /** Close the client, stop the gateway, remove the given directories. */
  stop(...dirs: string[]): Promise<void>;
}

/**
 * `portcullis run` in front of `servers` (YAML list items, indented four spaces) with the global
 * `sandbox` settings (YAML, indented six spaces); every tool allowed, no rate limit, audited to
 * a file; and a connected client.
 */
export async function sandboxGateway(servers: string, sandbox: string): Promise<SandboxGateway> {
  const gw = await startGateway(`mcp:
  servers:
${servers}
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    # These tests attack the sandbox: the gateway's own private-address guard would refuse the
    # hostile server's loopback and private targets (["127.0.0.1", port]) before it could try.
    argumentGuards: { privateAddresses: allow }
    # The hostile server's JSON reports (paths like /etc/shadow, refused connections) are not what
    # these tests measure; the shipped injection model flags some of them (a known false alarm).
    inspection: { injection: { model: { enabled: false } } }
    sandbox:
${sandbox}
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`);
  const client = await connect(gw.url);
  return {
    gw,
    client,
    async stop(...dirs) {
      await client.close();
      await gw.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
