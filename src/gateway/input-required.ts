/**
 * 2026-07-28 has no server-to-client requests: a server that needs the client (sampling,
 * elicitation, roots) answers `input_required`, and the client retries with `inputResponses`
 * and the opaque `requestState` (SEP-2322). The servers behind the gateway mostly speak 2025
 * and *do* send such requests. For a 2026 caller the gateway translates: it answers the caller
 * `input_required`, parks the server's still-running call under a random `requestState`, and
 * when the caller retries, hands the server its answer and resumes waiting on the same call.
 *
 * A 2026 server asks in its result instead, with its own `requestState`. For a 2026 caller that
 * answer is relayed (modern-upstream.ts): the caller gets a token of this table in place of the
 * server's state, which the gateway puts back on the retry, so the caller can neither forge nor
 * replay another caller's state, and a retry reaches the server that asked.
 *
 * Both kinds are bound to the caller (principal), the tool and the call's arguments; they expire
 * with the request timeout; the number held at once is capped. The arguments, because the retry
 * passes requireApproval and the quota unasked as the continuation of a call that passed them:
 * with other arguments it would be a new call nobody approved (spec: the retry repeats the request).
 */
import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { Params } from '../protocol/envelope.ts';
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Upstream, UpstreamResponse } from '../upstream/upstream.ts';
import type { InflightCall } from './session.ts';

export interface Parked {
  kind: 'parked';
  upstream: Upstream;
  /** The server's own request (e.g. sampling/createMessage) waiting for the client's answer. */
  upstreamRequestId: JsonRpcId;
  /** The key under which the caller must answer in `inputResponses`. */
  key: string;
  /** The server's original call, still running. */
  pending: Promise<UpstreamResponse>;
  call: InflightCall;
  subject: string;
  method: string;
  name: string;
  /** The call's arguments (callArguments). */
  args: string;
  expires: number;
}

/** A 2026 server's `input_required`, relayed to a 2026 caller. */
export interface Relayed {
  kind: 'relay';
  upstream: Upstream;
  /** The server's own `requestState`, if it sent one. */
  state?: string;
  subject: string;
  method: string;
  name: string;
  /** The call's arguments (callArguments). */
  args: string;
  expires: number;
}

type Held = Parked | Relayed;

const MAX_PARKED = 1000;

/** A request's arguments as a held call is bound to them: key order does not matter, values do. */
export function callArguments(params: Params | undefined): string {
  return canonicalJson(params?.arguments ?? null);
}

export class InputRequiredTable {
  private readonly parked = new Map<string, Held>();

  park(p: Held): string | undefined {
    this.sweep();
    if (this.parked.size >= MAX_PARKED) return undefined;
    const token = randomBytes(18).toString('base64url');
    this.parked.set(token, p);
    return token;
  }

  /** The parked call for a retry, if the token is live and belongs to this caller, tool and arguments. */
  take(token: unknown, subject: string, method: string, name: string, args: string): Held | undefined {
    if (typeof token !== 'string') return undefined;
    const p = this.parked.get(token);
    if (!p || p.subject !== subject || p.method !== method || p.name !== name || p.args !== args || p.expires < Date.now()) return undefined;
    this.parked.delete(token);
    return p;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, p] of this.parked) {
      if (p.expires < now) {
        this.parked.delete(k);
        if (p.kind === 'parked' && p.call.upstreamId !== undefined) p.upstream.forget(p.call.upstreamId);
      }
    }
  }
}
