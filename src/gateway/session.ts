/**
 * A downstream session: one client connection (stdio), one `Mcp-Session-Id` (stateful HTTP), or
 * one request (stateless 2026-07-28). It knows who the caller is, what they negotiated, and what
 * they have in flight, so server-to-client traffic can be routed back to exactly this caller.
 */
import { randomBytes } from 'node:crypto';
import type { GatewayError } from '../errors.ts';
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { TlsInfo } from '../tls/peer-info.ts';
import type { Upstream } from '../upstream/upstream.ts';

export interface Principal {
  subject: string;
  /** How the identity was established: 'local-user', 'anonymous', 'jwt', 'api-key', 'mtls'. */
  method: string;
  roles: string[];
  /**
   * When the credential was issued, seconds since the epoch: a token's `iat`, an API key's
   * `createdAt`, a certificate's `notBefore`. Revocation refuses credentials issued before it.
   */
  issuedAt?: number;
  /** When the credential stops being valid (a token's `exp`, seconds since the epoch): open streams end then. */
  expiresAt?: number;
  /** Groups from the token's claims (identity.jwt.claims.groups) or the API key's entry. */
  groups?: string[];
  /** Granted OAuth scopes (`scope` / `scp`), or the API key's. */
  scopes?: string[];
  /** Which credential: the API key's id, the token's issuer; for audit records. */
  credential?: string;
}

export interface InflightCall {
  upstream: Upstream;
  upstreamId?: number;
  /** The progress token the server was given for this call (the client's own, unless taken). */
  progressToken?: string | number;
  cancelled?: boolean;
  /** 2026-07-28: the capabilities this request declared in its envelope (per request, not per session). */
  capabilities?: Record<string, unknown>;
  /**
   * Set while a 2026-07-28 caller waits: the server's request to the client is turned into an
   * `input_required` answer instead (input-required.ts). Returns false if it cannot be.
   */
  interrupt?: (request: { method: string; params?: Record<string, unknown> }, upstreamRequestId: JsonRpcId) => boolean;
}

/**
 * Delivers a serialized message to the client. `related` is the client request it belongs to;
 * `final` marks the answer to that request (Streamable HTTP ends the request's stream with it).
 */
export type SessionSender = (message: string | Buffer, related?: JsonRpcId, final?: boolean, error?: GatewayError) => void;

let statelessCounter = 0;

export class Session {
  readonly id: string;
  /**
   * Who is calling. Fixed for stdio; over HTTP, re-established on every request from that
   * request's credential (same subject and method as at creation, or the session is refused),
   * so a refreshed token's scopes and `iat` apply from the next request.
   */
  principal: Principal;
  readonly connection: string;
  protocolVersion?: string;
  clientInfo?: { name?: string; version?: string };
  clientCapabilities: Record<string, unknown> = {};
  /** initialize answered (stateful) or the request carried its own version (stateless). */
  initialized = false;
  readonly stateless: boolean;
  readonly inflight = new Map<JsonRpcId, InflightCall>();
  readonly subscriptions = new Set<string>();
  /** Open 2026-07-28 `subscriptions/listen` requests, by request id, with the function that ends each. */
  readonly listens = new Map<JsonRpcId, () => void>();
  /** `logging/setLevel` of this client: log messages below it are not delivered. */
  logLevel?: string;
  lastSeen = Date.now();
  /** HTTPS listener: the channel (negotiated group, client certificate), for the audit. */
  tls?: TlsInfo;
  /** Told once, when the gateway ends the session (the HTTP listener then ends it on every replica). */
  onClosed?: () => void;
  private ended = false;
  send: SessionSender;

  /** Ended (client gone, DELETE, idle, revoked by the operator): never served again. */
  get closed(): boolean {
    return this.ended;
  }

  set closed(v: boolean) {
    const first = v && !this.ended;
    this.ended = v;
    if (first) this.onClosed?.();
  }

  constructor(opts: { principal: Principal; connection: string; send: SessionSender; stateless?: boolean; id?: string }) {
    // 128 bits from the CSPRNG: a session id is a bearer of the session and must not be guessable.
    // A stateless (2026-07-28) request's id never leaves the gateway: a counter will do.
    this.id = opts.id ?? (opts.stateless ? `st-${++statelessCounter}` : randomBytes(16).toString('base64url'));
    this.principal = opts.principal;
    this.connection = opts.connection;
    this.send = opts.send;
    this.stateless = opts.stateless ?? false;
  }
}
