/**
 * Typed gateway errors and the one table that maps them to the wire.
 *
 * `GatewayError.code` is a stable string; tests assert it. `ERROR_TABLE` is the only place a
 * JSON-RPC code or HTTP status is chosen. Standard JSON-RPC codes are used where they fit; the
 * gateway's own conditions use -32001 (request timeout, as the SDKs do), -32003, -32008 (human
 * approval) and
 * -32010..-32019, outside the range MCP reserves (-32020..-32099 in 2026-07-28), except the codes
 * that revision defines itself (-32020 header mismatch, -32021 missing client capability, -32022
 * unsupported version). `data.reason` carries the string code so a
 * client can branch on it; the human message never reveals policy internals.
 */
export type GatewayErrorCode =
  | 'PARSE_ERROR'
  | 'INVALID_UTF8'
  | 'MESSAGE_TOO_LARGE'
  | 'NESTING_TOO_DEEP'
  | 'FORBIDDEN_KEY'
  | 'INVALID_REQUEST'
  | 'BATCH_NOT_SUPPORTED'
  | 'METHOD_NOT_FOUND'
  | 'INVALID_PARAMS'
  | 'TOO_MANY_ARGUMENTS'
  | 'ARGUMENTS_INVALID'
  | 'UNKNOWN_TOOL'
  | 'UNKNOWN_PROMPT'
  | 'UNKNOWN_RESOURCE'
  | 'UNKNOWN_TASK'
  | 'NOT_INITIALIZED'
  | 'RATE_LIMITED'
  | 'POLICY_DENIED'
  | 'QUOTA_EXCEEDED'
  | 'UNAUTHENTICATED'
  | 'INSUFFICIENT_SCOPE'
  | 'REQUEST_TIMEOUT'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_PROTOCOL_ERROR'
  | 'INPUT_UNAVAILABLE'
  | 'RESULT_TOO_LARGE'
  | 'RESULT_INVALID'
  | 'HEADER_MISMATCH'
  | 'MISSING_CLIENT_CAPABILITY'
  | 'SESSION_NOT_FOUND'
  | 'UNSUPPORTED_PROTOCOL_VERSION'
  | 'SHUTTING_DOWN'
  | 'STATE_UNAVAILABLE'
  | 'LOCKDOWN'
  | 'CONTENT_BLOCKED'
  | 'APPROVAL_DENIED'
  | 'APPROVAL_TIMEOUT'
  | 'CANCELLED'
  | 'ORIGIN_REJECTED'
  | 'INTERNAL';

interface WireMapping {
  rpc: number;
  /**
   * HTTP status when the listener refuses a message itself, before dispatch. The error answer of
   * a dispatched request goes out over 200 on 2025 revisions (the error is in the body), except an
   * authentication refusal, which keeps its 401/403 and challenge.
   */
  http: number;
  /** 2026-07-28 (SEP-2575) fixes the HTTP status of these errors wherever they are raised. */
  http2026?: number;
}

export const ERROR_TABLE: Readonly<Record<GatewayErrorCode, WireMapping>> = Object.freeze({
  PARSE_ERROR: { rpc: -32700, http: 400 },
  INVALID_UTF8: { rpc: -32700, http: 400 },
  MESSAGE_TOO_LARGE: { rpc: -32600, http: 413 },
  NESTING_TOO_DEEP: { rpc: -32600, http: 400 },
  FORBIDDEN_KEY: { rpc: -32600, http: 400 },
  INVALID_REQUEST: { rpc: -32600, http: 400 },
  BATCH_NOT_SUPPORTED: { rpc: -32600, http: 400 },
  // 2026-07-28: an unknown or removed method is 404 (transports, protocol version header); a
  // request missing a required `_meta` field is malformed, -32602 with 400 (basic, `_meta`).
  METHOD_NOT_FOUND: { rpc: -32601, http: 200, http2026: 404 },
  INVALID_PARAMS: { rpc: -32602, http: 200, http2026: 400 },
  TOO_MANY_ARGUMENTS: { rpc: -32602, http: 200 },
  ARGUMENTS_INVALID: { rpc: -32602, http: 200 },
  // Denied and unknown tools are indistinguishable on the wire: the spec's "Unknown tool" error.
  UNKNOWN_TOOL: { rpc: -32602, http: 200 },
  UNKNOWN_PROMPT: { rpc: -32602, http: 200 },
  // MCP's "Resource not found".
  UNKNOWN_RESOURCE: { rpc: -32002, http: 200 },
  // The spec's error for a nonexistent task id; another caller's task gets the same (tasks are
  // bound to their creator, gateway/task-table.ts).
  UNKNOWN_TASK: { rpc: -32602, http: 200 },
  NOT_INITIALIZED: { rpc: -32600, http: 400 },
  RATE_LIMITED: { rpc: -32010, http: 200 },
  // Argument-level policy: the call is refused as a whole ("invalid params" for this caller);
  // the rule and argument that decided go to the audit record only.
  POLICY_DENIED: { rpc: -32602, http: 200 },
  // A quota is a slower rate limit: same code, `data.retryAfterSeconds` until the window ends.
  QUOTA_EXCEEDED: { rpc: -32010, http: 200 },
  UNAUTHENTICATED: { rpc: -32011, http: 401 },
  // Authenticated, but the token lacks a required scope: HTTP 403 with a step-up challenge
  // (RFC 6750 §3.1 insufficient_scope). Same JSON-RPC code as UNAUTHENTICATED (an auth failure);
  // `data.reason` tells them apart.
  INSUFFICIENT_SCOPE: { rpc: -32011, http: 403 },
  REQUEST_TIMEOUT: { rpc: -32001, http: 200 },
  UPSTREAM_UNAVAILABLE: { rpc: -32012, http: 200 },
  UPSTREAM_PROTOCOL_ERROR: { rpc: -32013, http: 200 },
  // A 2026-07-28 server needs input (input_required) that this 2025 client cannot give: it did not
  // declare the capability, refused the request, or the gateway refused to pass it on.
  INPUT_UNAVAILABLE: { rpc: -32003, http: 200 },
  RESULT_TOO_LARGE: { rpc: -32014, http: 200 },
  RESULT_INVALID: { rpc: -32015, http: 200 },
  HEADER_MISMATCH: { rpc: -32020, http: 400, http2026: 400 },
  // 2026-07-28 defines -32021 (data.requiredCapabilities): raised by servers, relayed with its 400.
  MISSING_CLIENT_CAPABILITY: { rpc: -32021, http: 200, http2026: 400 },
  SESSION_NOT_FOUND: { rpc: -32016, http: 404 },
  // 2026-07-28 defines -32022 (data: {supported, requested}).
  UNSUPPORTED_PROTOCOL_VERSION: { rpc: -32022, http: 400, http2026: 400 },
  SHUTTING_DOWN: { rpc: -32017, http: 503 },
  // The shared state (mcp.state.url, Redis) cannot answer: the call is refused (fail closed),
  // retryable like a shutdown, so the same code; `data.reason` tells them apart.
  STATE_UNAVAILABLE: { rpc: -32017, http: 503 },
  // The operator's emergency lockdown: said plainly (not disguised as an unknown tool), so
  // clients stop retrying and people know why.
  LOCKDOWN: { rpc: -32018, http: 200 },
  // Content inspection refused an argument or withheld a result (injection, secret, PII): one
  // opaque code; the rule and JSON path go to the audit record only.
  CONTENT_BLOCKED: { rpc: -32019, http: 200 },
  // A call that needed a person's yes (approval: required) and got a no, or no answer in time
  // (src/approvals/). Said plainly, like a lockdown: the caller asked a person, so it may know the
  // answer; `data.reason` tells a refusal from a timeout. The audit record names who, how, when.
  APPROVAL_DENIED: { rpc: -32008, http: 200 },
  APPROVAL_TIMEOUT: { rpc: -32008, http: 200 },
  // The client cancelled: nothing is sent (spec), the code only labels the audit record.
  CANCELLED: { rpc: -32001, http: 200 },
  // An Origin or Host header this listener does not accept (DNS rebinding): refused before
  // anything else reads the request (transports/request-guard.ts).
  ORIGIN_REJECTED: { rpc: -32600, http: 403 },
  INTERNAL: { rpc: -32603, http: 500 },
});

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  /** Extra wire data (e.g. `retryAfterSeconds`); never policy internals. */
  readonly data: Record<string, unknown> | undefined;
  /** The real reason, for the audit record only. */
  readonly detail: string | undefined;
  constructor(code: GatewayErrorCode, message: string, opts: { data?: Record<string, unknown>; detail?: string } = {}) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.data = opts.data;
    this.detail = opts.detail;
  }
  get rpcCode(): number {
    return ERROR_TABLE[this.code].rpc;
  }
  get httpStatus(): number {
    return ERROR_TABLE[this.code].http;
  }
  toJsonRpcError(): { code: number; message: string; data: Record<string, unknown> } {
    return { code: this.rpcCode, message: this.message, data: { reason: this.code, ...this.data } };
  }
}

/**
 * The HTTP status of an error on Streamable HTTP: `dispatched` for the error answer of a request
 * the gateway took, `modern` for a 2026-07-28 request. The one place a status is chosen.
 */
export function httpStatusOf(code: GatewayErrorCode, opts: { modern: boolean; dispatched: boolean }): number {
  const w = ERROR_TABLE[code];
  if (opts.modern && w.http2026 !== undefined) return w.http2026;
  return opts.dispatched ? 200 : w.http;
}

/** Server error codes whose HTTP status 2026-07-28 fixes wherever they are raised (SEP-2575). */
const RELAYED_2026: Readonly<Record<number, GatewayErrorCode>> = { [-32601]: 'METHOD_NOT_FOUND', [-32020]: 'HEADER_MISMATCH', [-32021]: 'MISSING_CLIENT_CAPABILITY', [-32022]: 'UNSUPPORTED_PROTOCOL_VERSION' };

/**
 * A server's error answer relayed to a 2026-07-28 caller keeps the HTTP status that revision gives
 * its code (-32601 404; -32020, -32021, -32022 400). -32602 is not among them: the revision pins
 * 400 only for a malformed envelope, which the gateway answers itself; a server's -32602 (an
 * unknown tool) goes over 200 like the gateway's own. The error returned only carries the status
 * to the transport; the body stays the server's.
 */
export function relayedErrorStatus(rpc: number): GatewayError | undefined {
  const code = RELAYED_2026[rpc];
  return code && new GatewayError(code, 'relayed server error');
}

export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('INTERNAL', 'Internal gateway error', { detail: err instanceof Error ? err.message : String(err) });
}
