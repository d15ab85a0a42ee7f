/**
 * A session's binding to this replica's servers.
 *
 * The gateway is the MCP client of its servers (upstream/upstream.ts): one upstream session per
 * configured server and replica, shared by every downstream session and started on first use.
 * A replica that meets a session created elsewhere (another replica, or one that was killed)
 * therefore needs no handshake with the client: the session's record (session-record.ts) says
 * what it negotiated, and the servers its calls reach are this replica's own, started on demand
 * by `Gateway.ready`. What a server keeps per upstream session is re-established here: the
 * session's resource subscriptions are subscribed again on this replica's upstreams, so updates
 * reach it wherever its GET stream is (session-bus.ts).
 *
 * A replica drops its copy of a session (`unbindSession`) when the session is idle here but alive
 * elsewhere: nothing is audited and nothing is cancelled, the session itself goes on.
 */
import type { Gateway } from './gateway.ts';
import type { Session } from './session.ts';

/** Serve a session restored from the store on this replica. */
export function bindSession(gw: Gateway, session: Session): void {
  gw.openSession(session);
  if (session.subscriptions.size) void resubscribe(gw, session);
}

/** Forget this replica's copy of a session that goes on elsewhere (no audit, no cancellation). */
export function unbindSession(gw: Gateway, session: Session): void {
  gw.sessions.delete(session);
  gw.serverRequests.dropSession(session);
  gw.tasks.dropSession(session);
}

/**
 * Subscribe this replica's upstreams to what the session subscribed to elsewhere. Best effort, as
 * the client's own subscribe was: a resource no longer allowed, or a server that refuses, is
 * dropped from the session here (audited), never silently kept as if it were live.
 */
async function resubscribe(gw: Gateway, session: Session): Promise<void> {
  for (const exposed of [...session.subscriptions]) {
    try {
      const t = await gw.resolveUri(exposed);
      const allowed = t && gw.decide('resource', t.server.name, t.uri, session.principal).allowed;
      const ok = allowed && (await t.upstream.request('resources/subscribe', { uri: t.uri }, gw.timeoutMs(t.server)).then((r) => !r.msg.error, () => false));
      if (ok) continue;
    } catch {
      // not ready: dropped below, like a refusal
    }
    session.subscriptions.delete(exposed);
    gw.audit.emit({ event: 'upstream_error', session: session.id, method: 'resources/subscribe', decision: 'error', reason: 'a subscription of this session could not be re-established on this replica' });
  }
}
