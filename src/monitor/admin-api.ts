/**
 * The admin API (`/admin/...`), for the CLI, scripts and the console alike; the caller is
 * already authenticated (admin-server.ts). Every action calls the same function its CLI twin
 * does — IncidentControl for lockdown, revocation and servers, `operatorDecision` for approvals,
 * the event store for alerts, pin-operations.ts for pins, quarantine-release.ts for quarantine —
 * so it is audited the same way, naming who (`admin-api@ADDR` or `console@ADDR`).
 *
 *   GET  /admin/state                       lockdown, revocations, disabled servers
 *   POST /admin/lockdown                    {"enabled": true, "allow": ["pattern"], "reason": "..."}
 *   POST /admin/revoke                      {"all": true} | {"subject"|"session"|"apiKey"|"certificate": "..."}
 *                                           (+ "reinstate": true for a subject, apiKey or certificate)
 *   POST /admin/servers/NAME/disable|enable {"reason": "..."}
 *   GET  /admin/alerts?since=7d             alerts in the event store
 *   POST /admin/alerts/ID/ack               {"by": "..."}
 *   GET  /admin/approvals                   calls waiting for a person's yes
 *   POST /admin/approvals/ID/approve|deny   {"reason": "..."}
 *   GET  /admin/events?event=&server=&...   live audit records (Server-Sent Events)
 *   and the console's views (admin-views.ts): pins, quarantine, sessions, servers, report.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { operatorDecision } from '../approvals/approval-store.ts';
import { parseDuration } from '../cli/duration.ts';
import { normalizeFingerprint } from '../incident/revocations.ts';
import type { AdminServerOptions } from './admin-server.ts';
import type { EventStream } from './admin-events.ts';
import { HttpError, readJson, send, validate } from './admin-http.ts';
import { adminViews } from './admin-views.ts';

const lockdownBody = z.strictObject({ enabled: z.boolean(), allow: z.array(z.string().min(1).max(256)).max(100).optional(), reason: z.string().max(500).optional() });
const id256 = z.string().min(1).max(256).optional();
const revokeBody = z
  .strictObject({ all: z.boolean().optional(), subject: id256, session: id256, apiKey: id256, certificate: id256, reinstate: z.boolean().optional(), reason: z.string().max(500).optional() })
  .refine((b) => Boolean(b.all) || [b.subject, b.session, b.apiKey, b.certificate].some((x) => x !== undefined), { message: 'one of all, subject, session, apiKey, certificate' })
  .refine((b) => b.certificate === undefined || normalizeFingerprint(b.certificate) !== undefined, { message: 'certificate: a SHA-256 fingerprint (64 hex digits, colons allowed)' })
  .refine((b) => !b.reinstate || (!b.all && b.session === undefined), { message: 'reinstate applies to a subject, an apiKey or a certificate' });
export const reasonBody = z.strictObject({ reason: z.string().max(500).optional(), by: z.string().max(256).optional() });

/** Who acts: the admin API's bearer caller or a console session, by address. */
export interface Actor {
  by: string;
  via: 'admin-api' | 'console';
}

export interface AdminContext {
  o: AdminServerOptions;
  events: EventStream;
  actor: Actor;
}

export async function adminApi(c: AdminContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const { o, actor } = c;
  const path = url.pathname;
  const by = actor.by;
  if (req.method === 'GET') {
    if (path === '/metrics') return send(res, 200, await o.metrics.text(), o.metrics.registry.contentType);
    if (path === '/admin/state') return send(res, 200, o.incident.state.current);
    if (path === '/admin/approvals') return send(res, 200, { approvals: await o.gateway.approvals.store.list() });
    if (path === '/admin/events') return c.events.open(req, res, url.searchParams);
    if (path === '/admin/alerts') {
      if (!o.store) return send(res, 200, { alerts: [] });
      const span = parseDuration(url.searchParams.get('since') ?? '7d');
      if (span === undefined) throw new HttpError(400, 'since: a span such as 24h or 7d');
      const until = new Date();
      return send(res, 200, { alerts: await o.store.alerts({ since: new Date(until.getTime() - span), until }, 500) });
    }
    return adminViews(c, req, res, url);
  }
  if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
  const body = await readJson(req);
  if (path === '/admin/lockdown') {
    const b = validate(lockdownBody, body);
    const s = await o.incident.setLockdown(b.enabled, { allow: b.allow, by, reason: b.reason });
    return send(res, 200, { lockdown: s.lockdown });
  }
  if (path === '/admin/revoke') {
    const { reason, ...what } = validate(revokeBody, body);
    const r = await o.incident.revoke(what, { by, reason });
    return send(res, 200, { sessionsEnded: r.sessionsEnded, revocations: r.state.revocations });
  }
  const srv = /^\/admin\/servers\/([a-z0-9-]{1,63})\/(disable|enable)$/.exec(path);
  if (srv) {
    const b = validate(reasonBody, body);
    if (!o.gateway.servers.has(srv[1])) return send(res, 404, { error: `no server named '${srv[1]}'` });
    const s = await o.incident.setServer(srv[1], srv[2] === 'disable', { by, reason: b.reason });
    return send(res, 200, { disabledServers: s.disabledServers });
  }
  const ap = /^\/admin\/approvals\/([^/]{1,64})\/(approve|deny)$/.exec(path);
  if (ap) {
    const b = validate(reasonBody, body);
    const out = await operatorDecision(o.gateway.approvals.store, ap[1], ap[2] === 'approve', { by: b.by ?? by, via: actor.via, reason: b.reason });
    if (!out) return send(res, 404, { error: 'no such approval waiting' });
    return send(res, 200, { id: ap[1], approved: out.decision.approved, by: out.decision.by, first: out.first });
  }
  const ack = /^\/admin\/alerts\/(\d{1,15})\/ack$/.exec(path);
  if (ack && o.store) {
    const b = validate(reasonBody, body);
    const ok = await o.store.acknowledgeAlert(Number(ack[1]), b.by ?? by, new Date());
    return send(res, ok ? 200 : 404, ok ? { acknowledged: Number(ack[1]) } : { error: 'no such unacknowledged alert' });
  }
  return adminViews(c, req, res, url, body);
}
