/**
 * Progress tokens across shared servers. Two clients may both use progress token 1; the server
 * must see distinct tokens, and each notification must reach only the client that asked.
 *
 * A server sees the client's own token when that value is free (the common case): a server that
 * echoes its token back in content then echoes what the client sent, not a gateway name. A value
 * in use, or used by a call that ended less than `RETIRE.ms` ago, is replaced by a fresh `pc-N`
 * (never reused): a server may go on reporting progress on a call it was told to cancel, and that
 * stale progress must not reach the next call, perhaps another session's, that picked the value.
 */
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Session } from './session.ts';

export type ProgressToken = string | number;

/** How long, and how many, released token values are kept out of reuse. */
export const RETIRE = Object.freeze({ ms: 10 * 60_000, max: 10_000 });

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
  /** Released values, oldest first, with when they may be given out again. */
  private readonly retired = new Map<ProgressToken, number>();
  private next = 1;
  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  /** The token to give the server for this call: the client's own when free, else a fresh one. */
  register(session: Session, token: ProgressToken, related: JsonRpcId, upstream: Upstream): ProgressToken {
    let gw: ProgressToken = token;
    // A client token may also look like one of ours (`pc-7`): taken is taken, whoever chose it.
    while (this.taken(gw)) gw = `pc-${this.next++}`;
    this.map.set(gw, { session, token, related, upstream });
    return gw;
  }

  release(gwToken: ProgressToken): void {
    if (!this.map.delete(gwToken)) return;
    this.retired.delete(gwToken);
    this.retired.set(gwToken, this.clock() + RETIRE.ms);
    if (this.retired.size > RETIRE.max) this.retired.delete(this.retired.keys().next().value!);
  }

  private taken(token: ProgressToken): boolean {
    if (this.map.has(token)) return true;
    const until = this.retired.get(token);
    if (until === undefined) return false;
    if (until > this.clock()) return true;
    this.retired.delete(token);
    return false;
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
