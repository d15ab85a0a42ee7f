/**
 * The Security Check node's `securityOptions` (the seed's n8n "MCP security" node:
 * `schemaValidation`, `allowedTools`, `rateLimit: {enabled, requestsPerMinute}`) as a Portcullis
 * configuration: the same keys the gateway reads, so the gateway's schema validates them and the
 * gateway's chain enforces them. Written to a file of its own (named by its content) under the
 * n8n user folder, with its own state directory and audit log.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SecurityOptions {
  schemaValidation?: boolean;
  allowedTools?: string[] | string;
  deniedTools?: string[] | string;
  rateLimit?: { enabled?: boolean; requestsPerMinute?: number; burstSize?: number };
  inspectArguments?: boolean;
}

const KNOWN = new Set(['schemaValidation', 'allowedTools', 'deniedTools', 'rateLimit', 'inspectArguments']);

/** n8n gives a multiple-value string as an array, an expression may give a comma-separated string. */
function list(v: string[] | string | undefined): string[] {
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  return raw.map((s) => String(s).trim()).filter(Boolean);
}

export function configFromOptions(o: SecurityOptions, server: string, baseDir: string): Record<string, unknown> {
  const unknown = Object.keys(o).filter((k) => !KNOWN.has(k));
  if (unknown.length) throw new Error(`securityOptions: unknown option(s) ${unknown.join(', ')}; known: ${[...KNOWN].join(', ')}`);
  const allowed = list(o.allowedTools);
  const rl = o.rateLimit ?? {};
  const rpm = rl.requestsPerMinute ?? 60;
  return {
    mcp: {
      state: { dir: join(baseDir, 'state') },
      security: {
        // The seed: no allow list configured means every tool passes the tool check.
        toolAccess: { defaultPolicy: allowed.length ? 'deny' : 'allow', allowedTools: allowed, deniedTools: list(o.deniedTools) },
        validation: { schemaValidation: o.schemaValidation === false ? 'off' : 'strict' },
        // "requestsPerMinute: 60" is at most 60 calls in a minute: the bucket holds a minute's worth.
        rateLimiting: rl.enabled === false ? { enabled: false } : { enabled: true, requestsPerMinute: rpm, burstSize: rl.burstSize ?? Math.max(1, Math.floor(rpm)) },
        inspection: { enabled: o.inspectArguments !== false },
        audit: { enabled: true, destinations: [{ type: 'file', path: join(baseDir, 'audit.log'), rotation: 'daily' }] },
      },
    },
  };
}

export function n8nUserFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.N8N_USER_FOLDER ?? homedir(), '.n8n');
}

/** Writes the configuration (JSON is YAML) once per distinct content; returns its path. */
export function writeConfig(o: SecurityOptions, server: string, root = join(n8nUserFolder(), 'portcullis')): string {
  const probe = JSON.stringify(configFromOptions(o, server, '<dir>'));
  const id = createHash('sha256').update(probe).digest('hex').slice(0, 16);
  const dir = join(root, id);
  const file = join(dir, 'portcullis.json');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(configFromOptions(o, server, dir), null, 2)}\n`, { mode: 0o600 });
  }
  return file;
}
