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
import type { AuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/schema.ts';
import type { RateLimiter } from '../checks/rate-limit.ts';
import type { InputRequiredTable } from '../gateway/input-required.ts';
import type { Namespacer } from '../gateway/namespacing.ts';
import type { ProgressRouter } from '../gateway/progress.ts';
import type { TaskTable } from '../gateway/task-table.ts';
import type { IncidentView } from '../incident/incident-view.ts';
import type { PinGuard } from '../pins/pin-guard.ts';
import type { PolicyRuntime } from '../policy/policy-runtime.ts';
import type { QuarantineStore } from '../quarantine/quarantine-store.ts';
import type { AccessDecision, Caller } from '../policy/tool-policy.ts';
import type { ApprovalAsk, ApprovalOutcome } from '../approvals/approval-gate.ts';
import type { ServerRequestServices } from '../gateway/server-request-services.ts';

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

/** A server as the checks reach it: its configuration, connection and lists. */
export interface RoutedServer {
  server: ResolvedServer;
  upstream: Upstream;
  catalog: Catalog;
}

/**
 * What the checks may use of the gateway, and nothing else: each check sees these services, not
 * the gateway (whose sessions, listeners, transports and shutdown are none of a check's business).
 * The gateway implements it; a unit test of a check passes a small fake.
 */
export interface ChainServices {
  readonly config: Config;
  readonly audit: AuditLog;
  /** Sees every finished request (metrics). */
  readonly monitor?: { requestDone(ctx: CallContext, endedAt?: number): void };
  readonly rateLimiter: RateLimiter;
  /** Quotas, session taint (flow rules) and DNS for argument-level policy. */
  readonly policy: PolicyRuntime;
  readonly incident: IncidentView;
  readonly namespacer: Namespacer;
  readonly progress: ProgressRouter;
  readonly tasks: TaskTable;
  readonly inputRequired: InputRequiredTable;
  /** Requests the gateway answers itself (initialize, ping, the lists): gateway/local-handlers.ts. */
  readonly localHandlers: ReadonlyMap<string, (ctx: CallContext) => Promise<Record<string, unknown>>>;
  readonly servers: ReadonlyMap<string, RoutedServer>;
  readonly pins?: PinGuard;
  /** Where a quarantined result's original goes (quarantine/quarantine-store.ts). */
  readonly quarantine: QuarantineStore;
  timeoutMs(s: ResolvedServer): number;
  /** The server started and initialized (or refused: disabled, launch not trusted). */
  ready(rt: RoutedServer): Promise<RoutedServer>;
  soleServer(): RoutedServer | undefined;
  resolveName(exposed: string): Promise<(RoutedServer & { name: string }) | undefined>;
  resolveUri(exposed: string): Promise<(RoutedServer & { uri: string }) | undefined>;
  /** Tool/prompt/resource access for a caller (policy/tool-policy.ts, pins). */
  decide(kind: 'tool' | 'prompt' | 'resource', server: string, name: string, caller?: Caller): AccessDecision;
  /** The response chain (pipeline/chain.ts) for a context whose `response` is set. */
  responseChain(ctx: CallContext): Promise<void>;
  /** A server's request made inside its answer (2026-07-28 input_required): gateway/server-request-services.ts. */
  readonly serverAsks: ServerRequestServices;
  /** Waits for a person's yes or no to a call (approvals/approval-gate.ts). */
  askApproval(a: ApprovalAsk): Promise<ApprovalOutcome>;
}

export interface CallContext {
  services: ChainServices;
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
  /** The access decision `authorize` made for the target (read again by `requireApproval`). */
  access?: AccessDecision;
  /** The session's taint, read by `throttle` alongside its buckets for `constrainArguments` (checks/prefetch-taint.ts). */
  taint?: Promise<ReadonlySet<string>>;
  /** What the audit record says about the decision. */
  audit: {
    decision?: 'allow' | 'deny' | 'error'; reason?: string; rule?: string; event?: string; argument?: string; task?: string;
    /** The human approval this call waited for (checks/require-approval.ts): who decided, how, when. */
    approval?: { id: string; approved: boolean; by: string; via: string; at: string; askedVia: string };
  };
  startedAt: number;
}
