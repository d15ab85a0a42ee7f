/**
 * What servers send that is not an answer: their requests (sampling, elicitation, roots, ping)
 * and their notifications. Requests are checked against `allowedMethods`, inspected like results
 * where their text reaches a client's model or user, and routed to the one session they belong to;
 * notifications go to their owner, and only `list_changed` is broadcast.
 */
import { refuseServerRequest } from '../checks/allowed-methods.ts';
import { GatewayError } from '../errors.ts';
import { inspectServerRequest, INSPECTED_SERVER_REQUESTS } from '../inspect/inspect-server-request.ts';
import type { JsonRpcNotification, JsonRpcRequest } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { candidatesFor, deliverToOwner, ownerOf } from './deliver-to-owner.ts';
import type { Gateway } from './gateway.ts';
import type { Session } from './session.ts';

/** `only`: the sessions that may take it (a question the gateway asks for one caller's call). */
export function onServerRequest(gw: Gateway, up: Upstream, msg: JsonRpcRequest, only?: Iterable<Session>): void {
  if (msg.method === 'ping') {
    void up.send({ jsonrpc: '2.0', id: msg.id, result: {} }).catch(() => {});
    return;
  }
  if (refuseServerRequest(gw, up, msg)) return; // validation.allowedMethods, server to client
  if (INSPECTED_SERVER_REQUESTS.has(msg.method)) {
    // Inspected like a result before any client sees it (src/inspect/inspect-server-request.ts).
    void inspectServerRequest(gw, up, msg)
      .then((r) => {
        if ('refusal' in r) return void up.send(r.refusal).catch(() => {});
        routeServerRequest(gw, up, r.msg, only);
      })
      .catch((err: Error) => {
        gw.audit.emit({ event: 'policy_violation', server: up.name, method: msg.method, decision: 'deny', reason: `server request refused: inspection failed: ${err.message}` });
        void up.send({ jsonrpc: '2.0', id: msg.id, error: new GatewayError('INTERNAL', 'The gateway could not inspect this request').toJsonRpcError() }).catch(() => {});
      });
    return;
  }
  routeServerRequest(gw, up, msg, only);
}

function routeServerRequest(gw: Gateway, up: Upstream, msg: JsonRpcRequest, only?: Iterable<Session>): void {
  const refusal = gw.serverRequests.deliver(up, msg, only ?? candidatesFor(gw, up, msg.params), gw.mode === 'wrap');
  if (refusal) {
    gw.audit.emit({ event: 'policy_violation', server: up.name, method: msg.method, decision: 'deny', reason: `server request refused: ${refusal.error!.message}` });
    void up.send(refusal).catch(() => {});
  } else if (gw.audit.records('request_served')) {
    gw.audit.emit({ event: 'request_served', server: up.name, method: msg.method, decision: 'allow', detail: { direction: 'server-to-client' } });
  }
}

export function onServerNotification(gw: Gateway, up: Upstream, msg: JsonRpcNotification): void {
  const rt = gw.servers.get(up.name)!;
  const p = msg.params ?? {};
  switch (msg.method) {
    case 'notifications/progress': {
      const e = gw.progress.lookup(p.progressToken, up);
      if (e) e.session.send(JSON.stringify({ ...msg, params: { ...p, progressToken: e.token } }), e.related);
      return;
    }
    case 'notifications/cancelled': {
      const t = gw.serverRequests.downstreamIdFor(up, p.requestId);
      if (t) t.session.send(JSON.stringify({ ...msg, params: { ...p, requestId: t.id } }));
      return;
    }
    // With pins, the new list is fetched at once: drift is found (hidden, audited, alerted)
    // even when no client lists again.
    case 'notifications/tools/list_changed':
      rt.catalog.invalidate('tools');
      if (gw.pins) void rt.catalog.getTools().catch(() => {});
      return broadcast(gw, msg);
    case 'notifications/prompts/list_changed':
      rt.catalog.invalidate('prompts');
      if (gw.pins) void rt.catalog.getList('prompts').catch(() => {});
      return broadcast(gw, msg);
    case 'notifications/resources/list_changed':
      rt.catalog.invalidate('resources');
      rt.catalog.invalidate('resourceTemplates');
      if (gw.pins) for (const k of ['resources', 'resourceTemplates'] as const) void rt.catalog.getList(k).catch(() => {});
      return broadcast(gw, msg);
    case 'notifications/message': {
      // A shared server's log lines can describe one tenant's calls: they go only to the session
      // that owns the server's current work (or the one wrap client), never to everyone.
      const owner = ownerOf(gw, up, p);
      if (owner && levelAtLeast(p.level, owner.session.logLevel)) owner.session.send(JSON.stringify(msg), owner.related);
      return;
    }
    case 'notifications/resources/updated': {
      const uri = gw.namespacer.exposeUri(up.name, String(p.uri));
      const out = JSON.stringify({ ...msg, params: { ...p, uri } });
      for (const s of gw.sessions) if (s.subscriptions.has(uri)) s.send(out);
      gw.listeners.publish(msg, uri);
      return;
    }
    default:
      // Never broadcast: tasks/status and anything unknown go to their owner only.
      return deliverToOwner(gw, up, msg);
  }
}

export function broadcast(gw: Gateway, msg: JsonRpcNotification): void {
  const out = JSON.stringify(msg);
  for (const s of gw.sessions) if (!s.stateless && s.initialized) s.send(out);
  gw.listeners.publish(msg);
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

function levelAtLeast(level: unknown, min: string | undefined): boolean {
  if (!min) return true;
  return LOG_LEVELS.indexOf(String(level)) >= LOG_LEVELS.indexOf(min);
}
