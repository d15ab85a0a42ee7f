/**
 * Progress tokens across shared servers. Two clients may both use progress token 1; the server
 * must see distinct tokens, and each notification must reach only the client that asked.
 *
 * A server sees the client's own token when no other call in flight uses that value (the common
 * case): a server that echoes its token back in content then echoes what the client sent, not a
 * gateway name. Only a token already in use is replaced by a fresh `pc-N`.
 */
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Session } from './session.ts';

export type ProgressToken = string | number;

interface Entry {
  session: Session;
  token: ProgressToken;
  related: JsonRpcId;
  /** The one server the token was given to. */
  upstream: Upstream;
}

export class ProgressRouter {
  /** By the token the server was given; a Map keeps 1 and "1" apart, as JSON-RPC does. */
  private readonly map = new Map<ProgressToken, Entry>();
  private next = 1;

  /** The token to give the server for this call: the client's own when free, else a fresh one. */
  register(session: Session, token: ProgressToken, related: JsonRpcId, upstream: Upstream): ProgressToken {
    let gw: ProgressToken = token;
    // A client token may also look like one of ours (`pc-7`): taken is taken, whoever chose it.
    while (this.map.has(gw)) gw = `pc-${this.next++}`;
    this.map.set(gw, { session, token, related, upstream });
    return gw;
  }

  release(gwToken: ProgressToken): void {
    this.map.delete(gwToken);
  }

  /** Tokens are guessable: only the server a token was given to may report progress on it. */
  lookup(gwToken: unknown, from: Upstream): Entry | undefined {
    const e = typeof gwToken === 'string' || typeof gwToken === 'number' ? this.map.get(gwToken) : undefined;
    return e?.upstream === from ? e : undefined;
  }

  get size(): number {
    return this.map.size;
  }
}
