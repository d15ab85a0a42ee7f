/**
 * The admin API's endpoints for the console's views, each on the function its CLI twin uses:
 *
 *   GET  /admin/pins                        every pin, and the diff of each one waiting
 *   POST /admin/pins/approve                {"server": "...", "kind"?: "...", "name"?: "..."}
 *   GET  /admin/quarantine                  withheld results (never their content)
 *   GET  /admin/quarantine/ID               one item with its original
 *   POST /admin/quarantine/ID/release       audited as quarantine_released
 *   GET  /admin/sessions                    open client sessions (revoke: POST /admin/revoke)
 *   GET  /admin/servers                     each server's state, and why it is disabled
 *   GET  /admin/report.html?since=24h       the security report (src/report/), for the console's frame
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseDuration } from '../cli/duration.ts';
import { PIN_KINDS } from '../pins/pin-definition.ts';
import { decidePins, diffPins, listPins } from '../pins/pin-operations.ts';
import { pinStores, type PinStores } from '../pins/pin-store.ts';
import { releaseQuarantined } from '../quarantine/quarantine-release.ts';
import { QUARANTINE_ID } from '../quarantine/quarantine-store.ts';
import { buildReport, MAX_HOURS } from '../report/report-data.ts';
import { renderHtml } from '../report/report-html.ts';
import type { AdminContext } from './admin-api.ts';
import { HttpError, send, validate } from './admin-http.ts';

const pinBody = z.strictObject({ server: z.string().min(1).max(256), kind: z.enum(PIN_KINDS).optional(), name: z.string().min(1).max(2048).optional() });

/** The report is the only page with inline styles (its own CSS and colours); it runs no script. */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** The gateway's pin stores (Redis when shared); without pinning, the files its config names (nothing is watched). */
const pinStoresOf = (gw: AdminContext['o']['gateway']): PinStores => gw.pins?.stores ?? pinStores(gw.config);

export async function adminViews(c: AdminContext, req: IncomingMessage, res: ServerResponse, url: URL, body?: unknown): Promise<void> {
  const { o, actor } = c;
  const gw = o.gateway;
  const path = url.pathname;
  const config = gw.config;
  // The gateway's own store: Redis with `mcp.state.url` (every replica's items), else its directory.
  const quarantine = gw.quarantine;
  if (req.method === 'GET') {
    if (path === '/admin/pins') {
      const p = pinStoresOf(gw);
      return send(res, 200, { mode: p.mode, pins: await listPins(p, {}), waiting: await diffPins(p, {}) });
    }
    if (path === '/admin/quarantine') return send(res, 200, { items: await quarantine.list() });
    const item = /^\/admin\/quarantine\/([^/]+)$/.exec(path);
    if (item) {
      const found = QUARANTINE_ID.test(item[1]) ? await quarantine.get(item[1]) : undefined;
      return found ? send(res, 200, found) : send(res, 404, { error: 'no such item' });
    }
    if (path === '/admin/sessions') {
      const sessions = [...gw.sessions].filter((s) => !s.stateless).map((s) => ({
        id: s.id, principal: s.principal.subject, authMethod: s.principal.method, connection: s.connection,
        protocolVersion: s.protocolVersion, client: s.clientInfo, lastSeen: new Date(s.lastSeen).toISOString(), inflight: s.inflight.size,
      }));
      return send(res, 200, { sessions });
    }
    if (path === '/admin/servers') {
      const disabled = o.incident.state.current.disabledServers;
      const servers = [...gw.servers].map(([name, rt]) => ({ name, state: name in disabled ? 'disabled' : rt.upstream.state, disabled: disabled[name] }));
      return send(res, 200, { servers });
    }
    if (path === '/admin/report.html') {
      if (!o.store) throw new HttpError(404, 'no event store: the report needs one');
      const span = parseDuration(url.searchParams.get('since') ?? '24h');
      if (span === undefined || span > MAX_HOURS * 3600_000) throw new HttpError(400, 'since: a span such as 24h or 7d (at most 92d)');
      const until = new Date();
      const html = renderHtml(await buildReport(o.store, { since: new Date(until.getTime() - span), until }, until));
      return send(res, 200, html, 'text/html; charset=utf-8', { 'content-security-policy': REPORT_CSP });
    }
    return send(res, 404, { error: 'not found' });
  }
  if (path === '/admin/pins/approve') {
    const b = validate(pinBody, body);
    const p = pinStoresOf(gw);
    const done = await decidePins(p, { key: b.server, kind: b.kind, name: b.name }, 'approve', { by: actor.by });
    return send(res, done.length ? 200 : 404, done.length ? { approved: done } : { error: 'nothing waiting for approval there' });
  }
  const rel = /^\/admin\/quarantine\/([^/]+)\/release$/.exec(path);
  if (rel) {
    if (!QUARANTINE_ID.test(rel[1])) return send(res, 404, { error: 'no such item' });
    const done = await releaseQuarantined(quarantine, rel[1], actor.by, gw.audit);
    return done ? send(res, 200, { released: rel[1], by: done.released?.by }) : send(res, 404, { error: 'no such item' });
  }
  return send(res, 404, { error: 'not found' });
}
