/**
 * Requests the gateway puts to a client on a 2026-07-28 server's behalf. Such a server asks for
 * input in its result (`input_required`, SEP-2322), not with a request of its own; for a 2025
 * client the gateway turns each of its `inputRequests` into an ordinary server-to-client request
 * (sampling, elicitation, roots) under an id of this table, and the client's answer, which comes
 * back through the same path as any answer to a server request, settles it here instead of going
 * to the server. Bounded in number and time.
 */
import type { JsonRpcResponse } from '../protocol/envelope.ts';

const MAX_OPEN = 1000;
const PREFIX = 'pc-input-';

interface Waiting {
  resolve: (r: JsonRpcResponse) => void;
  timer: NodeJS.Timeout;
}

export class LocalAsks {
  private readonly waiting = new Map<string, Waiting>();
  private next = 1;

  /** A fresh id and the answer it will get (an error answer on timeout, overflow or shutdown). */
  open(timeoutMs: number): { id: string; answer: Promise<JsonRpcResponse> } {
    const id = `${PREFIX}${this.next++}`;
    if (this.waiting.size >= MAX_OPEN) {
      return { id, answer: Promise.resolve(errorAnswer(id, 'Too many requests waiting for the client')) };
    }
    const answer = new Promise<JsonRpcResponse>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(errorAnswer(id, 'The client did not answer in time'));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, { resolve, timer });
    });
    return { id, answer };
  }

  /** True when `message` answers one of ours (and is consumed here). */
  settle(message: object): boolean {
    const m = message as Partial<JsonRpcResponse> & { method?: unknown };
    if (m.method !== undefined || typeof m.id !== 'string' || !m.id.startsWith(PREFIX)) return false;
    const w = this.waiting.get(m.id);
    if (!w) return true; // late or unknown: ours all the same, never the server's
    this.waiting.delete(m.id);
    clearTimeout(w.timer);
    w.resolve(m as JsonRpcResponse);
    return true;
  }

  failAll(message: string): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve(errorAnswer(id, message));
    }
    this.waiting.clear();
  }
}

function errorAnswer(id: string, message: string): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: { code: -32603, message } };
}
