/**
 * How the incident commands (lockdown, revoke, server) reach the gateways.
 *
 * Through the admin API of a running `portcullis run` (`mcp.admin` of --config, or --url), with
 * the bearer token from --token-file or PORTCULLIS_ADMIN_TOKEN: the change applies at once and
 * the gateway audits it. When no admin listener is configured or none answers, the change is
 * written to the incident state file in `mcp.state.dir` instead (or to Redis when --config sets
 * `mcp.state.url`): every gateway sharing it (wrapped stdio gateways, `run` without an admin
 * listener, every replica) picks it up within a second, and a gateway that is not running
 * applies it when it starts. A wrong token is an
 * error, never a reason to fall back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load.ts';
import { INCIDENT_FILE, readIncidentFile, updateIncidentFile, type IncidentData } from '../incident/incident-state.ts';
import { RedisIncidentState } from '../incident/redis-incident-state.ts';
import type { StateConfig } from '../state/redis-connection.ts';
import { CliError, loadOrExplain, withStateConnection } from './common.ts';

export const ADMIN_OPTIONS = {
  config: { type: 'string', short: 'c' },
  url: { type: 'string' },
  'token-file': { type: 'string' },
  'state-dir': { type: 'string' },
  reason: { type: 'string' },
} as const;

export const ADMIN_USAGE = `Where:
  -c, --config FILE     the gateway's configuration (mcp.admin, mcp.state.dir, mcp.state.url)
      --url URL         the admin listener (default from --config: http://host:port)
      --token-file FILE the admin bearer token (default: $PORTCULLIS_ADMIN_TOKEN)
      --state-dir DIR   without an admin listener: the state directory to write (default from
                        --config, else ./portcullis-state)
      --reason TEXT     recorded in the audit`;

export interface AdminTarget {
  url?: string;
  token?: string;
  stateFile: string;
  stateDir: string;
  /** `mcp.state` of --config when it names Redis (`url`): the incident state is there, not in the file. */
  shared?: StateConfig;
}

export function adminTarget(values: Record<string, string | boolean | string[] | undefined>): AdminTarget {
  let url = values.url as string | undefined;
  let stateDir = values['state-dir'] as string | undefined;
  let shared: StateConfig | undefined;
  if (values.config) {
    const { config } = loadOrExplain(() => loadConfigFile(values.config as string));
    const a = config.mcp.admin;
    if (!url && a.enabled) url = `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
    stateDir ??= config.mcp.state.dir;
    if (config.mcp.state.url && !values['state-dir']) shared = config.mcp.state;
  }
  let token = process.env.PORTCULLIS_ADMIN_TOKEN;
  if (values['token-file']) {
    try {
      token = readFileSync(values['token-file'] as string, 'utf8').trim();
    } catch (err) {
      throw new CliError(`${String(values['token-file'])}: cannot read the token: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 1);
    }
  }
  const dir = stateDir ?? './portcullis-state';
  return { url, token, stateFile: join(dir, INCIDENT_FILE), stateDir: dir, shared };
}

export type AdminOutcome = { via: 'admin-api'; url: string; body: Record<string, unknown> } | { via: 'state-file'; path: string; state: IncidentData };

/** POSTs to the admin API; without a listener, applies `offline` to the state file. */
export async function adminCall(t: AdminTarget, path: string, body: Record<string, unknown>, offline: (s: IncidentData) => void): Promise<AdminOutcome> {
  const out = await adminRequest(t, 'POST', path, body);
  if (out) return { via: 'admin-api', url: out.url, body: out.body as Record<string, unknown> };
  if (t.shared) return withSharedIncident(t.shared, async (s) => ({ via: 'state-file', path: s.where, state: (await s.update(offline)).after }));
  return { via: 'state-file', path: t.stateFile, state: updateIncidentFile(t.stateFile, offline) };
}

/**
 * One request to the admin API: its JSON answer, or `undefined` when no admin listener is
 * configured or none answers (the caller then uses the state directory). A refused token or any
 * other HTTP error is a CliError, never a reason to fall back.
 */
export async function adminRequest(t: AdminTarget, method: 'GET' | 'POST', path: string, body?: Record<string, unknown>): Promise<{ url: string; body: unknown } | undefined> {
  if (!t.url) return undefined;
  if (!t.token) throw new CliError('the admin API needs a token: --token-file FILE or PORTCULLIS_ADMIN_TOKEN', 1);
  let res: Response;
  try {
    res = await fetch(new URL(path, t.url), {
      method,
      headers: { authorization: `Bearer ${t.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(5000),
      redirect: 'error',
    });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== 'ECONNREFUSED') throw new CliError(`${t.url}: ${code ?? (err as Error).message}`, 1);
    process.stderr.write(`portcullis: no admin listener at ${t.url}; using the state directory instead (gateways pick a change up within a second, or at their next start)\n`);
    return undefined;
  }
  const out = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status === 401) throw new CliError(`${t.url}: the admin token was refused`, 1);
  if (!res.ok) throw new CliError(`${t.url}${path}: HTTP ${res.status}: ${String(out.error ?? '')}`, 1);
  return { url: t.url, body: out };
}
/** The incident state where the gateways keep it (Redis with `mcp.state.url`, else the file). */
export async function readIncident(t: AdminTarget): Promise<IncidentData> {
  if (t.shared) return withSharedIncident(t.shared, async (s) => s.current);
  return readIncidentFile(t.stateFile);
}

/** The incident state in Redis, read, for `fn`; every replica hears a change by pub/sub. */
function withSharedIncident<T>(cfg: StateConfig, fn: (s: RedisIncidentState) => Promise<T>): Promise<T> {
  return withStateConnection(cfg, async (conn) => {
    const s = new RedisIncidentState(conn);
    await s.load();
    return fn(s);
  });
}
