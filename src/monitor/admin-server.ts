/**
 * The admin listener: a separate HTTP server (`mcp.admin`, default 127.0.0.1:9471), never the
 * MCP listener, so the MCP port can be exposed while this one stays on a management network.
 *
 *   GET  /healthz, /readyz        liveness and readiness (open: probes carry no token; they
 *                                 answer a status word, details only when authenticated)
 *   GET  /                        the operator console (docs/console.md): its sign-in page
 *                                 without a session
 *   POST /console/login           form field `token`: sets the session cookie (admin-auth.ts)
 *   POST /console/logout          ends it
 *   GET  /console/session         the session's CSRF token, for the console's scripts
 *   GET  /metrics                 Prometheus text format
 *   /admin/...                    the admin API (admin-api.ts, admin-views.ts)
 *
 * Everything but the probes, the sign-in page and its stylesheet needs `Authorization: Bearer
 * <token>` or a console session; a state-changing request made with a session also needs its
 * CSRF token. Bodies are capped at 64 KiB and validated.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { IncidentControl } from '../incident/incident-control.ts';
import type { EventStore } from '../store/event-store.ts';
import { adminApi, type Actor } from './admin-api.ts';
import { bearerAuthorized, clearedCookie, ConsoleSessions, sameOrigin, sessionCookie } from './admin-auth.ts';
import { EventStream } from './admin-events.ts';
import { HttpError, readBody, send } from './admin-http.ts';
import { ConsoleAssets } from './console-assets.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export { hashToken } from './admin-auth.ts';

export interface AdminServerOptions {
  host: string;
  port: number;
  tokenHash: string;
  gateway: Gateway;
  incident: IncidentControl;
  metrics: Metrics;
  store?: EventStore;
  logger: Logger;
  /** Shared state (mcp.state.url): not ready while it is unreachable (calls are refused then). */
  state?: { readonly ready: boolean };
}

export interface AdminServer {
  url: string;
  close(): Promise<void>;
}

export function readiness(gw: Gateway, state?: { readonly ready: boolean }): { ready: boolean; servers: Record<string, string>; state?: string } {
  const servers: Record<string, string> = {};
  // Checked first: while shared state is away the incident state cannot be read either.
  if (state && !state.ready) return { ready: false, servers, state: 'unreachable' };
  for (const [name, rt] of gw.servers) servers[name] = gw.incident.isServerDisabled(name) ? 'disabled' : rt.upstream.state;
  const serving = Object.values(servers).some((s) => s === 'ready');
  if (!state) return { ready: serving, servers };
  return { ready: serving && state.ready, servers, state: state.ready ? 'ready' : 'unreachable' };
}

export async function startAdminServer(o: AdminServerOptions): Promise<AdminServer> {
  const assets = new ConsoleAssets();
  const sessions = new ConsoleSessions();
  const events = new EventStream(o.gateway.audit);

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const remote = req.socket.remoteAddress ?? '?';
    const bearer = bearerAuthorized(req, o.tokenHash);
    const session = bearer ? undefined : sessions.of(req);
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      const r = readiness(o.gateway, o.state);
      return send(res, r.ready ? 200 : 503, bearer || session ? { status: r.ready ? 'ready' : 'not ready', servers: r.servers, ...(r.state ? { state: r.state } : {}) } : { status: r.ready ? 'ready' : 'not ready' });
    }
    if (req.method === 'GET' && path === '/') {
      const page = assets.page(session ? 'index.html' : 'login.html');
      return send(res, 200, page.body, page.type);
    }
    if (req.method === 'GET' && path === '/console/console.css') return send(res, 200, assets.get(path)!.body, 'text/css; charset=utf-8');
    if (req.method === 'POST' && path === '/console/login') {
      // A sign-in from another site's form would plant that site's session (login CSRF).
      if (!sameOrigin(req)) return send(res, 403, { error: 'cross-origin sign-in refused' });
      const token = new URLSearchParams((await readBody(req)).toString('utf8')).get('token') ?? '';
      const s = sessions.signIn(token, o.tokenHash, remote);
      if (s === 'throttled' || s === 'refused') {
        o.logger.warn({ remote }, `console sign-in refused${s === 'throttled' ? ': too many failures' : ''}`);
        const page = assets.loginWith(s === 'throttled' ? 'Too many failed sign-ins: wait a minute.' : 'That token was refused.');
        return send(res, s === 'throttled' ? 429 : 401, page.body, page.type);
      }
      o.logger.info({ remote }, 'console session started');
      return send(res, 303, '', 'text/plain', { location: '/', 'set-cookie': sessionCookie(s, req) });
    }
    if (!bearer && !session) {
      o.logger.warn({ path, remote }, 'admin request refused: missing or wrong bearer token, and no console session');
      res.setHeader('www-authenticate', 'Bearer realm="portcullis-admin"');
      return send(res, 401, { error: 'unauthorized' });
    }
    if (session && req.method !== 'GET' && !sessions.csrfOk(req, session)) {
      o.logger.warn({ path, remote }, 'console request refused: missing or wrong CSRF token, or another origin');
      return send(res, 403, { error: 'CSRF check failed' });
    }
    if (session && req.method === 'GET' && path === '/console/session') return send(res, 200, { csrf: session.csrf, expires: new Date(session.expires).toISOString() });
    if (session && req.method === 'POST' && path === '/console/logout') {
      sessions.signOut(session);
      return send(res, 200, { signedOut: true }, 'application/json', { 'set-cookie': clearedCookie(req) });
    }
    const asset = req.method === 'GET' ? assets.get(path) : undefined;
    if (asset) return send(res, 200, asset.body, asset.type);
    const actor: Actor = bearer ? { by: `admin-api@${remote}`, via: 'admin-api' } : { by: `console@${remote}`, via: 'console' };
    return adminApi({ o, events, actor }, req, res, url);
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      // Shared state away (mcp.state.url): the change was not made; 503, the caller may retry.
      const status = err instanceof HttpError ? err.status : err instanceof GatewayError && err.code === 'STATE_UNAVAILABLE' ? 503 : undefined;
      if (!status) o.logger.error({ err: err.message }, 'admin request failed');
      if (!res.headersSent) send(res, status ?? 500, { error: status ? err.message : 'internal error' });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Exclusive: in a worker of `run --workers N` the admin listener is that worker's own, never
    // shared through the cluster's primary (console sessions and event streams live in one process).
    server.listen({ port: o.port, host: o.host, exclusive: true }, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        events.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
