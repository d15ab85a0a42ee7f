/**
 * 2026-07-28 has no server-to-client requests: a server that needs the client (sampling,
 * elicitation, roots) answers `input_required`, and the client retries with `inputResponses`
 * and the opaque `requestState` (SEP-2322). The servers behind the gateway mostly speak 2025
 * and *do* send such requests. For a 2026 caller the gateway translates: it answers the caller
 * `input_required`, parks the server's still-running call under a random `requestState`, and
 * when the caller retries, hands the server its answer and resumes waiting on the same call.
 *
 * A parked call is bound to the caller (principal) and the tool; it expires with the request
 * timeout; the number parked at once is capped.
 */
import { randomBytes } from 'node:crypto';
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Upstream, UpstreamResponse } from '../upstream/upstream.ts';
import type { InflightCall } from './session.ts';

export interface Parked {
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
  expires: number;
}

const MAX_PARKED = 1000;

export class InputRequiredTable {
  private readonly parked = new Map<string, Parked>();

  park(p: Parked): string | undefined {
    this.sweep();
    if (this.parked.size >= MAX_PARKED) return undefined;
    const token = randomBytes(18).toString('base64url');
    this.parked.set(token, p);
    return token;
  }

  /** The parked call for a retry, if the token is live and belongs to this caller and tool. */
  take(token: unknown, subject: string, method: string, name: string): Parked | undefined {
    if (typeof token !== 'string') return undefined;
    const p = this.parked.get(token);
    if (!p || p.subject !== subject || p.method !== method || p.name !== name || p.expires < Date.now()) return undefined;
    this.parked.delete(token);
    return p;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, p] of this.parked) {
      if (p.expires < now) {
        this.parked.delete(k);
        if (p.call.upstreamId !== undefined) p.upstream.forget(p.call.upstreamId);
      }
    }
  }
}
