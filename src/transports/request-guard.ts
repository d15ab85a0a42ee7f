/**
 * Origin and Host validation, and CORS, in front of every request to the listener.
 *
 * DNS rebinding (GHSA-w48q-cv73-mx4w, CVE-2025-49596 in MCP Inspector): a web page on
 * evil.example resolves its own name to 127.0.0.1 and the victim's browser then talks to the
 * local gateway with `Host: evil.example` and `Origin: http://evil.example`. The spec
 * (transports, Streamable HTTP, security warning) says servers MUST validate Origin and SHOULD
 * bind to localhost. So: a present `Origin` must be allowlisted (absent is fine: non-browser
 * clients do not send one), and `Host` must name this listener. Refusals are 403 with a JSON-RPC
 * error body and an audit record.
 *
 * CORS is off unless `mcp.listen.cors` is configured: no `Access-Control-*` header is ever sent
 * otherwise, so a browser cannot read a response cross-origin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/schema.ts';

type Listen = Config['mcp']['listen'];

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const CORS_METHODS = 'GET, POST, DELETE';
const CORS_REQUEST_HEADERS = 'content-type, accept, authorization, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id';
const CORS_EXPOSED_HEADERS = 'mcp-session-id, www-authenticate';

export interface GuardVerdict {
  ok: boolean;
  /** For the audit record. */
  reason?: string;
}

export interface RequestGuard {
  /** Host and Origin checks; `ok: false` means answer 403. */
  check(req: IncomingMessage): GuardVerdict;
  /** Adds CORS headers for an allowed cross-origin caller; answers a preflight. True when answered. */
  cors(req: IncomingMessage, res: ServerResponse): boolean;
}

export function requestGuard(listen: Listen, port: number, scheme: 'http' | 'https'): RequestGuard {
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  const bound = bracket(listen.host.toLowerCase());
  const wildcard = bound === '0.0.0.0' || bound === '[::]';
  const names = [...LOOPBACK_NAMES, ...(wildcard ? [] : [bound])];
  const hosts = new Set<string>();
  for (const h of listen.allowedHosts ?? names) {
    const v = h.toLowerCase();
    hosts.add(v);
    // A name without a port matches with this listener's port (what a browser sends).
    if (!/:\d+$/.test(v)) hosts.add(`${v}:${port}`);
  }
  const corsOrigins = new Set((listen.cors?.allowedOrigins ?? []).map(normalOrigin));
  const origins = new Set([...(listen.allowedOrigins ?? names.map((n) => `${scheme}://${n}:${port}`)).map(normalOrigin), ...corsOrigins]);

  return {
    check(req) {
      const host = single(req.headers.host)?.toLowerCase();
      if (host === undefined) return { ok: false, reason: 'no Host header' };
      if (!hosts.has(host)) return { ok: false, reason: `Host '${host}' is not allowed (DNS rebinding)` };
      const origin = single(req.headers.origin);
      if (origin !== undefined && !origins.has(normalOrigin(origin))) return { ok: false, reason: `Origin '${origin}' is not allowed` };
      return { ok: true };
    },
    cors(req, res) {
      const origin = single(req.headers.origin);
      if (origin === undefined || !corsOrigins.has(normalOrigin(origin))) return false;
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (req.method !== 'OPTIONS') {
        res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS);
        return false;
      }
      res.writeHead(204, {
        'access-control-allow-methods': CORS_METHODS,
        'access-control-allow-headers': CORS_REQUEST_HEADERS,
        'access-control-max-age': String(listen.cors!.maxAgeSeconds),
      });
      res.end();
      return true;
    },
  };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Origins compare case-insensitively, without a default port. `null` never matches. */
function normalOrigin(o: string): string {
  return o.toLowerCase().replace(/^(https:\/\/[^/]+):443$/, '$1').replace(/^(http:\/\/[^/]+):80$/, '$1');
}
