/**
 * Requests a server sends to the client (sampling, elicitation, roots) in the stateful
 * revisions. The gateway re-numbers them per session and routes each to the one session that
 * has a request in flight on that server; when that is ambiguous, or the client cannot take it
 * (it did not declare the capability, or speaks 2026-07-28, which has no such channel), the
 * server gets an error instead — a sampling request must never reach another tenant's agent.
 */
import type { JsonRpcId, JsonRpcRequest, JsonRpcResponse } from '../protocol/envelope.ts';
import { isModern } from '../protocol/revisions.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Session } from './session.ts';

const CAPABILITY_FOR: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};
const MAX_PENDING = 10_000;
const PENDING_TTL_MS = 15 * 60_000;

interface Pending {
  upstream: Upstream;
  upstreamId: JsonRpcId;
  session: Session;
  at: number;
}

export class ServerRequestRouter {
  private readonly pending = new Map<string, Pending>();
  private next = 1;
  /**
   * Client-side ids are `<prefix><n>`. Replicas sharing sessions (session-bus.ts) each put their
   * own name in it: one client may be asked by two replicas, and an answer must reach the asker.
   */
  idPrefix = 'pcs-';

  /** Pick the session for a server request; `undefined` when no single session can own it. */
  static pickSession(up: Upstream, sessions: Iterable<Session>, single: boolean): { session: Session; related?: JsonRpcId } | undefined {
    let found: { session: Session; related?: JsonRpcId } | undefined;
    const all = [...sessions];
    // wrap: one client owns the server outright (e.g. roots/list right after initialize).
    if (single && all.length === 1 && ![...all[0].inflight.values()].some((c) => c.upstream === up)) return { session: all[0] };
    for (const s of all) {
      for (const [clientId, call] of s.inflight) {
        if (call.upstream !== up) continue;
        if (found && found.session !== s) return undefined;
        found = found ? { session: s } : { session: s, related: clientId };
      }
    }
    return found;
  }

  /** Returns the error to answer the server with, or undefined once delivered to the client. */
  deliver(up: Upstream, msg: JsonRpcRequest, sessions: Iterable<Session>, single: boolean): JsonRpcResponse | undefined {
    const refuse = (message: string): JsonRpcResponse => ({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message } });
    const pick = ServerRequestRouter.pickSession(up, sessions, single);
    if (!pick) return refuse('No client can take this request');
    const call = pick.related !== undefined ? pick.session.inflight.get(pick.related) : undefined;
    const cap = CAPABILITY_FOR[msg.method];
    if (cap && !(call?.capabilities ?? pick.session.clientCapabilities)[cap]) return refuse(`Client does not support ${msg.method}`);
    if (call?.interrupt) {
      return call.interrupt({ method: msg.method, params: msg.params }, msg.id) ? undefined : refuse('Client cannot take this request now');
    }
    if (isModern(pick.session.protocolVersion)) return refuse(`Client does not support ${msg.method}`);
    this.sweep();
    if (this.pending.size >= MAX_PENDING) return refuse('Too many pending server requests');
    const dsId = `${this.idPrefix}${this.next++}`;
    this.pending.set(dsId, { upstream: up, upstreamId: msg.id, session: pick.session, at: Date.now() });
    pick.session.send(JSON.stringify({ ...msg, id: dsId }), pick.related);
    return undefined;
  }

  /** The client's answer: back to the server under the server's own id. */
  settle(session: Session, res: JsonRpcResponse): { upstream: Upstream; message: JsonRpcResponse } | undefined {
    const key = String(res.id);
    const p = this.pending.get(key);
    if (!p || p.session !== session) return undefined;
    this.pending.delete(key);
    const message: JsonRpcResponse = res.error
      ? { jsonrpc: '2.0', id: p.upstreamId, error: res.error }
      : { jsonrpc: '2.0', id: p.upstreamId, result: res.result };
    return { upstream: p.upstream, message };
  }

  /** Whether this replica asked `session` the request answered by `id` (else another replica did). */
  holds(session: Session, id: JsonRpcId): boolean {
    return this.pending.get(String(id))?.session === session;
  }

  /** The server withdrew its request (notifications/cancelled): the client-side id, if known. */
  downstreamIdFor(up: Upstream, upstreamId: unknown): { id: string; session: Session } | undefined {
    for (const [id, p] of this.pending) if (p.upstream === up && p.upstreamId === upstreamId) return { id, session: p.session };
    return undefined;
  }

  dropSession(session: Session): void {
    for (const [id, p] of this.pending) if (p.session === session) this.pending.delete(id);
  }

  private sweep(): void {
    const cutoff = Date.now() - PENDING_TTL_MS;
    for (const [id, p] of this.pending) if (p.at < cutoff) this.pending.delete(id);
  }
}
