/**
 * What the gateway itself presents to an HTTP upstream: configured headers (values from the
 * environment through `${VAR}`, or from files such as /run/secrets/x) and, with `oauth`, a token
 * it obtains for that upstream. The client's own `Authorization` never goes upstream (token
 * passthrough is forbidden by the MCP authorization spec): the HTTP transport sends only these.
 */
import { readFileSync } from 'node:fs';
import type { ResolvedServer } from '../config/load.ts';
import { Agent } from 'undici';
import { DEFAULT_GROUPS } from '../tls/groups.ts';
import { ClientCredentials } from './oauth-client-credentials.ts';

const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface UpstreamCredentials {
  /** Headers for the next request (a cached or fresh token). */
  headers(): Promise<Record<string, string>>;
  /** The upstream answered 401 to the `authorization` value sent: true when a retry can help. */
  refresh(sent?: string): boolean;
}

/** Reads `headersFromFiles` now; throws naming the key when a file is missing or unusable. */
export function upstreamCredentials(s: ResolvedServer): UpstreamCredentials | undefined {
  const fromFiles: Record<string, string> = {};
  for (const [name, path] of Object.entries(s.headersFromFiles ?? {})) {
    let v: string;
    try {
      const buf = readFileSync(path);
      if (buf.length > MAX_SECRET_FILE_BYTES) throw new Error(`${buf.length} bytes`);
      v = buf.toString('utf8').trim();
    } catch (err) {
      throw new Error(`mcp.servers.${s.name}.headersFromFiles.${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    // A header value with a line break would be header injection.
    if (/[\r\n\0]/.test(v)) throw new Error(`mcp.servers.${s.name}.headersFromFiles.${name}: ${path} holds more than one line`);
    fromFiles[name.toLowerCase()] = v;
  }
  const oauth = s.oauth && s.url ? new ClientCredentials(s.oauth, s.url, tokenEndpointAgent(s)) : undefined;
  if (!oauth && !Object.keys(fromFiles).length) return undefined;
  return {
    headers: async () => (oauth ? { ...fromFiles, authorization: `Bearer ${await oauth.token()}` } : fromFiles),
    refresh: (sent) => oauth?.invalidate(sent?.replace(/^Bearer /, '')) ?? false,
  };
}

/** The token endpoint's own trust: an internal CA when `oauth.caPath` is set (hybrid PQ group offered first). */
function tokenEndpointAgent(s: ResolvedServer): Agent | undefined {
  const path = s.oauth?.caPath;
  if (path === undefined) return undefined;
  let ca: Buffer;
  try {
    ca = readFileSync(path);
  } catch (err) {
    throw new Error(`mcp.servers.${s.name}.oauth.caPath: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return new Agent({ connect: { ca, ecdhCurve: DEFAULT_GROUPS, minVersion: 'TLSv1.2' }, headersTimeout: 10_000, bodyTimeout: 10_000 });
}
