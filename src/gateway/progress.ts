/**
 * Progress tokens across shared servers. Two clients may both use progress token 1; the server
 * must see distinct tokens, and each notification must reach only the client that asked.
 */
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Session } from './session.ts';

interface Entry {
  session: Session;
  token: string | number;
  related: JsonRpcId;
  /** The one server the token was given to. */
  upstream: Upstream;
}

export class ProgressRouter {
  private readonly map = new Map<string, Entry>();
  private next = 1;

  register(session: Session, token: string | number, related: JsonRpcId, upstream: Upstream): string {
    const gw = `pc-${this.next++}`;
    this.map.set(gw, { session, token, related, upstream });
    return gw;
  }

  release(gwToken: string): void {
    this.map.delete(gwToken);
  }

  /** Tokens are guessable: only the server a token was given to may report progress on it. */
  lookup(gwToken: unknown, from: Upstream): Entry | undefined {
    const e = typeof gwToken === 'string' ? this.map.get(gwToken) : undefined;
    return e?.upstream === from ? e : undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
