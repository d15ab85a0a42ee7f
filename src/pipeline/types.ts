/**
 * What a check sees: one client request on its way to a server and, after `forward`, the
 * server's answer on its way back.
 */
import type { Security } from '../config/schema.ts';
import type { ResolvedServer } from '../config/load.ts';
import type { GatewayError } from '../errors.ts';
import type { Catalog, ToolEntry } from '../gateway/catalog.ts';
import type { Session } from '../gateway/session.ts';
import type { JsonRpcRequest, JsonRpcResponse } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Gateway } from '../gateway/gateway.ts';

export type TargetKind = 'tool' | 'prompt' | 'resource' | 'task' | 'other';

export interface Target {
  kind: TargetKind;
  server: ResolvedServer;
  upstream: Upstream;
  catalog: Catalog;
  /** The name (tool, prompt) or URI (resource) as the server knows it; for a task, the tool it runs. */
  name?: string;
  /** The name or URI as the client sees it. */
  exposed?: string;
  tool?: ToolEntry;
}

export interface CallContext {
  gateway: Gateway;
  session: Session;
  req: JsonRpcRequest;
  method: string;
  /**
   * The revision this request speaks: its own 2026-07-28 envelope if it has one, else the
   * session's negotiated version. Per request, because a 2026 request carries its own.
   */
  protocolVersion?: string;
  /** Effective security settings: the target server's, else the global ones. */
  security: Security;
  target?: Target;
  /** The answer, once there is one: from the server (`forward`) or from the gateway itself. */
  response?: JsonRpcResponse;
  /** The server's original bytes, forwarded as they are when nothing needed changing. */
  responseBytes?: Buffer;
  /** The server's result as its own JSON text (protocol/splice.ts), when its frame allows. */
  resultRaw?: Buffer;
  /** Set by any stage that changes `response.result`: the original bytes no longer apply. */
  resultChanged?: boolean;
  /** The arguments as the audit record shows them, when inspection found secrets or PII in them. */
  auditArguments?: unknown;
  /** Set when a check refused the call. */
  error?: GatewayError;
  /** The client withdrew the request (notifications/cancelled): it gets no answer (spec, utilities/cancellation). */
  cancelled?: boolean;
  /** What the audit record says about the decision. */
  audit: {
    decision?: 'allow' | 'deny' | 'error'; reason?: string; rule?: string; event?: string; argument?: string; task?: string;
    /** The human approval this call waited for (checks/require-approval.ts): who decided, how, when. */
    approval?: { id: string; approved: boolean; by: string; via: string; at: string; askedVia: string };
  };
  startedAt: number;
}
