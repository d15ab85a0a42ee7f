/**
 * What clients send that is not a request: notifications (initialized, cancelled, roots changed,
 * progress for a server's request) and their answers to server requests (sampling, elicitation,
 * roots), each checked against the negotiated revision's schema and sent to the one server it is for.
 */
import type { JsonRpcId, JsonRpcNotification, JsonRpcResponse } from '../protocol/envelope.ts';
import { notificationSchema } from '../protocol/revisions.ts';
import type { Gateway } from './gateway.ts';
import type { Session } from './session.ts';

export async function handleClientNotification(gw: Gateway, session: Session, msg: JsonRpcNotification): Promise<void> {
  const schema = notificationSchema(session.protocolVersion, msg.method);
  if (!schema || !schema.safeParse(msg).success) {
    gw.audit.emit({ event: 'schema_validation_failed', session: session.id, method: msg.method, decision: 'deny', reason: schema ? 'invalid notification params' : `unknown notification ${msg.method}` });
    return;
  }
  switch (msg.method) {
    case 'notifications/initialized':
      return;
    case 'notifications/cancelled': {
      session.listens.get(msg.params?.requestId as JsonRpcId)?.();
      if (gw.approvals.cancel(session, msg.params?.requestId)) return; // waiting for approval: nothing upstream yet
      const call = session.inflight.get(msg.params?.requestId as JsonRpcId);
      if (call?.upstreamId !== undefined) {
        call.cancelled = true;
        call.upstream.forget(call.upstreamId);
        await call.upstream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { ...msg.params, requestId: call.upstreamId } }).catch(() => {});
      }
      return;
    }
    case 'notifications/roots/list_changed':
      for (const rt of gw.servers.values()) if (rt.upstream.state === 'ready') await rt.upstream.send(msg).catch(() => {});
      return;
    default:
      // Progress for a server's request, tasks status: single-server only (unambiguous).
      await gw.soleServer()?.upstream.send(msg).catch(() => {});
  }
}

export async function handleClientResponse(gw: Gateway, session: Session, res: JsonRpcResponse): Promise<void> {
  if (gw.approvals.asks.settle(session, res)) return; // an answer to the gateway's own question
  const settled = gw.serverRequests.settle(session, res);
  if (!settled) return; // an answer to nothing we asked: dropped
  await settled.upstream.send(settled.message).catch(() => {});
}
