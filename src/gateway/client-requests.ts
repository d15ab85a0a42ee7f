/**
 * Requests the gateway itself sends to a client (today: `elicitation/create` for a human
 * approval, src/approvals/). They go out on the stream of the client request they are about
 * (`related`), with ids of their own (`pcg-N`) that no server request uses (`pcs-N`,
 * server-requests.ts), and the client's answer is taken here before anything else looks at it.
 *
 * Bounded: at most MAX_OPEN open at a time, each ended by its caller's AbortSignal (a timeout,
 * the call cancelled, the session closed).
 */
import type { JsonRpcId, JsonRpcResponse } from '../protocol/envelope.ts';
import type { Session } from './session.ts';

const MAX_OPEN = 10_000;

interface Open {
  session: Session;
  resolve: (r: JsonRpcResponse | undefined) => void;
}

export class ClientRequests {
  private readonly open = new Map<string, Open>();
  private next = 1;

  /**
   * Sends `method` to the session's client and resolves with its answer, or `undefined` when
   * `signal` aborts first (or too many are open, or the session is gone).
   */
  ask(session: Session, method: string, params: Record<string, unknown>, related: JsonRpcId, signal: AbortSignal): Promise<JsonRpcResponse | undefined> {
    if (signal.aborted || session.closed || this.open.size >= MAX_OPEN) return Promise.resolve(undefined);
    const id = `pcg-${this.next++}`;
    return new Promise((resolve) => {
      const done = (r: JsonRpcResponse | undefined) => {
        this.open.delete(id);
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      };
      const onAbort = () => {
        // The client may still show the question: tell it the request is withdrawn (spec, cancellation).
        if (!session.closed) session.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'no longer needed' } }), related);
        done(undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.open.set(id, { session, resolve: done });
      session.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }), related);
    });
  }

  /** The client's answer to one of ours: taken (true), or not ours (false). Another session's answer is dropped. */
  settle(session: Session, res: JsonRpcResponse): boolean {
    const key = typeof res.id === 'string' ? res.id : '';
    const o = this.open.get(key);
    if (!o) return key.startsWith('pcg-');
    if (o.session !== session) return true;
    o.resolve(res);
    return true;
  }
}
