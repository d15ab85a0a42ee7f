/**
 * The admin listener: a separate HTTP server (`mcp.admin`, default 127.0.0.1:9471), never the
 * MCP listener, so the MCP port can be exposed while this one stays on a management network.
 *
 *   GET  /healthz, /readyz        liveness and readiness (open: probes carry no token; they
 *                                  answer a status word, details only with the token)
 *   GET  /metrics                 Prometheus text format
 *   GET  /admin/state             lockdown, revocations, disabled servers
 *   POST /admin/lockdown          {"enabled": true, "allow": ["pattern"], "reason": "..."}
 *   POST /admin/revoke            {"all": true} | {"subject"|"session"|"apiKey"|"certificate": "..."}
 *                                  (+ "reinstate": true for a subject, apiKey or certificate)
 *   POST /admin/servers/NAME/disable | /enable   {"reason": "..."}
 *   POST /admin/alerts/ID/ack     {"by": "..."}
 *
 * Everything but the probes needs `Authorization: Bearer <token>`; the configuration holds only
 * the token's SHA-256, compared in constant time. Bodies are capped at 64 KiB and validated.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { IncidentControl } from '../incident/incident-control.ts';
import { normalizeFingerprint } from '../incident/revocations.ts';
import type { EventStore } from '../store/event-store.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

const MAX_BODY = 64 * 1024;
const MAX_TOKEN = 1024;

const lockdownBody = z.strictObject({ enabled: z.boolean(), allow: z.array(z.string().min(1).max(256)).max(100).optional(), reason: z.string().max(500).optional() });
const id256 = z.string().min(1).max(256).optional();
const revokeBody = z
  .strictObject({ all: z.boolean().optional(), subject: id256, session: id256, apiKey: id256, certificate: id256, reinstate: z.boolean().optional(), reason: z.string().max(500).optional() })
  .refine((b) => Boolean(b.all) || [b.subject, b.session, b.apiKey, b.certificate].some((x) => x !== undefined), { message: 'one of all, subject, session, apiKey, certificate' })
  .refine((b) => b.certificate === undefined || normalizeFingerprint(b.certificate) !== undefined, { message: 'certificate: a SHA-256 fingerprint (64 hex digits, colons allowed)' })
  .refine((b) => !b.reinstate || (!b.all && b.session === undefined), { message: 'reinstate applies to a subject, an apiKey or a certificate' });
const reasonBody = z.strictObject({ reason: z.string().max(500).optional(), by: z.string().max(256).optional() });

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

/** `sha256:<hex>` of a token, as `mcp.admin.tokenHash` holds it. */
export const hashToken = (token: string): string => `sha256:${createHash('sha256').update(token).digest('hex')}`;

function authorized(req: IncomingMessage, tokenHash: string): boolean {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || h.length > MAX_TOKEN + 7) return false;
  const m = /^Bearer (\S+)$/.exec(h);
  if (!m) return false;
  // Both sides are SHA-256 digests of equal length: the comparison leaks nothing about the token.
  const given = createHash('sha256').update(m[1]).digest();
  const expected = Buffer.from(tokenHash.slice('sha256:'.length), 'hex');
  return expected.length === given.length && timingSafeEqual(given, expected);
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let n = 0;
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      if (!n) return resolve({});
      try {
        resolve(JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch {
        reject(Object.assign(new Error('body is not JSON'), { status: 400 }));
      }
    });
    req.on('error', reject);
  });
}

function validate<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw Object.assign(new Error(`invalid body: ${r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`), { status: 400 });
  return r.data;
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
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const authed = authorized(req, o.tokenHash);
    if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      const r = readiness(o.gateway, o.state);
      return send(res, r.ready ? 200 : 503, authed ? { status: r.ready ? 'ready' : 'not ready', servers: r.servers, ...(r.state ? { state: r.state } : {}) } : { status: r.ready ? 'ready' : 'not ready' });
    }
    if (!authed) {
      o.logger.warn({ path, remote: req.socket.remoteAddress }, 'admin request refused: missing or wrong bearer token');
      res.setHeader('www-authenticate', 'Bearer realm="portcullis-admin"');
      return send(res, 401, { error: 'unauthorized' });
    }
    const by = `admin-api@${req.socket.remoteAddress ?? '?'}`;
    if (req.method === 'GET' && path === '/metrics') return send(res, 200, await o.metrics.registry.metrics(), o.metrics.registry.contentType);
    if (req.method === 'GET' && path === '/admin/state') return send(res, 200, o.incident.state.current);
    if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
    const body = await readJson(req);
    if (path === '/admin/lockdown') {
      const b = validate(lockdownBody, body);
      const s = await o.incident.setLockdown(b.enabled, { allow: b.allow, by, reason: b.reason });
      return send(res, 200, { lockdown: s.lockdown });
    }
    if (path === '/admin/revoke') {
      const b = validate(revokeBody, body);
      const { reason, ...req } = b;
      const r = await o.incident.revoke(req, { by, reason });
      return send(res, 200, { sessionsEnded: r.sessionsEnded, revocations: r.state.revocations });
    }
    const srv = /^\/admin\/servers\/([a-z0-9-]{1,63})\/(disable|enable)$/.exec(path);
    if (srv) {
      const b = validate(reasonBody, body);
      if (!o.gateway.servers.has(srv[1])) return send(res, 404, { error: `no server named '${srv[1]}'` });
      const s = await o.incident.setServer(srv[1], srv[2] === 'disable', { by, reason: b.reason });
      return send(res, 200, { disabledServers: s.disabledServers });
    }
    const ack = /^\/admin\/alerts\/(\d{1,15})\/ack$/.exec(path);
    if (ack && o.store) {
      const b = validate(reasonBody, body);
      const ok = await o.store.acknowledgeAlert(Number(ack[1]), b.by ?? by, new Date());
      return send(res, ok ? 200 : 404, ok ? { acknowledged: Number(ack[1]) } : { error: 'no such unacknowledged alert' });
    }
    return send(res, 404, { error: 'not found' });
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: Error & { status?: number }) => {
      // Shared state away (mcp.state.url): the change was not made; 503, the caller may retry.
      if (err instanceof GatewayError && err.code === 'STATE_UNAVAILABLE') Object.assign(err, { status: 503 });
      if (!err.status) o.logger.error({ err: err.message }, 'admin request failed');
      if (!res.headersSent) send(res, err.status ?? 500, { error: err.status ? err.message : 'internal error' });
    });
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 50;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
