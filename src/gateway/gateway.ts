/**
 * The gateway core: sessions in, servers out, every message through the fixed check order
 * (`pipeline/chain.ts`). Transports (stdio, Streamable HTTP) hand it raw bytes and a session;
 * it answers through `session.send`.
 */
import { stateDirApprovals, type ApprovalAsk, type ApprovalGate, type ApprovalOutcome } from '../approvals/approval-gate.ts';
import { userInfo } from 'node:os';
import type { LoadedConfig, ResolvedServer } from '../config/load.ts';
import type { Security } from '../config/schema.ts';
import { asGatewayError, GatewayError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { NO_INCIDENT, type IncidentView } from '../incident/incident-control.ts';
import { ANONYMOUS_REFUSED } from '../checks/authenticate.ts';
import { RateLimiter } from '../checks/rate-limit.ts';
import { runRequestChain, runResponseChain } from '../pipeline/chain.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { PinGuard } from '../pins/pin-guard.ts';
import { PolicyRuntime } from '../policy/policy-runtime.ts';
import { quarantineStoreOf } from '../quarantine/quarantine-release.ts';
import type { QuarantineStore } from '../quarantine/quarantine-store.ts';
import type { AccessDecision, Caller } from '../policy/tool-policy.ts';
import { classify, salvageId, type Classified, type JsonRpcId, type JsonRpcRequest, type Params } from '../protocol/envelope.ts';
import { META, MODERN_VERSIONS } from '../protocol/revisions.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { rememberWireSize } from '../protocol/wire-size.ts';
import { SandboxLauncher } from '../sandbox/launcher.ts';
import { MemoryStore } from '../state/memory-store.ts';
import { buildLocalHandlers, type LocalHandler } from './local-handlers.ts';
import { InputRequiredTable } from './input-required.ts';
import { Listeners } from './listeners.ts';
import { Namespacer } from './namespacing.ts';
import { ProgressRouter } from './progress.ts';
import { classifierFor } from '../inspect/classifier-for.ts';
import { ServerRequestRouter } from './server-requests.ts';
import { serverRequestServices } from './server-request-services.ts';
import type { Principal, Session } from './session.ts';
import { broadcast } from './server-traffic.ts';
import { handleClientNotification, handleClientResponse } from './client-traffic.ts';
import { Responder } from './responder.ts';
import { becomeReady, buildServerRuntime, readyNow, type ServerRuntime } from './server-runtime.ts';
import { TaskTable } from './task-table.ts';
import type { UpstreamTransport } from '../upstream/transport.ts';
import type { GatewayOptions } from './gateway-options.ts';
export type { GatewayOptions } from './gateway-options.ts';

export const GATEWAY_NAME = 'portcullis';
export const GATEWAY_VERSION = '0.1.0';
const GATEWAY_INFO = Object.freeze({ name: GATEWAY_NAME, version: GATEWAY_VERSION });

export class Gateway {
  readonly loaded: LoadedConfig;
  readonly mode: 'run' | 'wrap';
  readonly audit: AuditLog;
  readonly rateLimiter: RateLimiter;
  /** Quotas, session taint (flow rules) and DNS for argument-level policy. */
  readonly policy: PolicyRuntime;
  readonly namespacer: Namespacer;
  readonly progress = new ProgressRouter();
  readonly serverRequests = new ServerRequestRouter();
  readonly serverAsks = serverRequestServices(this);
  readonly sessions = new Set<Session>();
  readonly listeners = new Listeners();
  readonly inputRequired = new InputRequiredTable();
  /** Which session and principal own each task a server created (task-table.ts). */
  readonly tasks = new TaskTable();
  readonly localHandlers: Map<string, LocalHandler>;
  readonly servers = new Map<string, ServerRuntime>();
  readonly log: (line: string) => void;
  /** Starts sandboxed stdio servers (src/sandbox/). */
  readonly sandbox: SandboxLauncher;
  readonly incident: IncidentView;
  readonly monitor: GatewayOptions['monitor'];
  readonly pins?: PinGuard;
  readonly upstreamTransport?: (server: ResolvedServer) => UpstreamTransport;
  readonly approvals: ApprovalGate;
  readonly quarantine: QuarantineStore;
  /** Client `initialize` params used to start upstreams in wrap mode (the client's own, for fidelity). */
  private wrapInit?: Params;
  private stopping = false;
  private readonly active = new Set<Promise<void>>();
  private readonly responder = new Responder(this);

  constructor(loaded: LoadedConfig, opts: GatewayOptions) {
    this.loaded = loaded;
    this.mode = opts.mode;
    this.audit = opts.audit;
    this.log = opts.log ?? ((l) => process.stderr.write(`portcullis: ${l}\n`));
    this.incident = opts.incident ?? NO_INCIDENT;
    this.monitor = opts.monitor;
    this.pins = opts.pins;
    this.upstreamTransport = opts.upstreamTransport;
    this.approvals = opts.approvals ?? stateDirApprovals(loaded.config.mcp.state.dir, { audit: this.audit, log: this.log });
    this.quarantine = opts.quarantine ?? quarantineStoreOf(loaded.config);
    // An operator's approval or revocation changes what is listed: clients are told to list again.
    if (this.pins) this.pins.onListChanged = (kind) => broadcast(this, { jsonrpc: '2.0', method: `notifications/${kind === 'tool' ? 'tools' : kind === 'prompt' ? 'prompts' : 'resources'}/list_changed` });
    this.rateLimiter = new RateLimiter({ store: opts.stores?.buckets ?? new MemoryStore(), clock: opts.clock });
    this.policy = new PolicyRuntime(loaded, opts.stores);
    this.namespacer = new Namespacer(loaded.servers.map((s) => s.name));
    this.sandbox = new SandboxLauncher({ audit: this.audit, log: this.log });
    for (const server of loaded.servers) {
      this.servers.set(server.name, buildServerRuntime(this, server));
    }
    this.localHandlers = buildLocalHandlers(this);
  }

  get config() { return this.loaded.config; }

  timeoutMs(s: ResolvedServer): number {
    const sec = Math.min(this.config.mcp.timeouts.requestSeconds, s.effective.sandbox.timeoutSeconds ?? Infinity);
    return sec * 1000;
  }

  /** The initialize params the gateway uses as the MCP client of its servers. */
  upstreamInitParams(): Params {
    return (
      this.wrapInit ?? {
        protocolVersion: '2025-11-25',
        // No `roots`: a server shared by many clients cannot have one client's roots. Sampling and
        // elicitation are routed to the client whose call is in flight (server-requests.ts).
        capabilities: { sampling: {}, elicitation: {} },
        clientInfo: { name: GATEWAY_NAME, version: GATEWAY_VERSION },
      }
    );
  }

  setWrapInit(params: Params): void {
    if (this.mode === 'wrap' && !this.wrapInit) this.wrapInit = params;
  }

  /** Start every server and fetch its lists; failures are logged, not fatal (the server may come later). */
  async start(): Promise<void> {
    this.audit.emit({ event: 'gateway_started', detail: { mode: this.mode, servers: [...this.servers.keys()] } });
    await this.checkClassifiers();
    if (this.mode === 'wrap') return; // wrap starts its server with the client's own initialize
    await Promise.all([...this.servers.values()].map((rt) => this.ready(rt).catch((err: GatewayError) => this.log(`server '${rt.server.name}' not ready: ${err.detail ?? err.message}`))));
  }

  /**
   * Every configured injection classifier is asked once at start-up: a model that does not load,
   * or an endpoint that does not answer, is said now and loudly — with failMode closed every
   * inspected string would otherwise be flagged from the first call on, with no hint why.
   */
  private async checkClassifiers(): Promise<void> {
    const seen = new Set<unknown>();
    const sections = [{ where: 'mcp.security', sec: this.config.mcp.security }, ...[...this.servers.values()].map((rt) => ({ where: `server '${rt.server.name}'`, sec: rt.server.effective }))];
    for (const { where, sec } of sections) {
      const cfg = sec.inspection.enabled ? sec.inspection.injection.classifier : undefined;
      if (!cfg || seen.has(cfg)) continue;
      seen.add(cfg);
      try {
        await classifierFor(this, cfg)!.ready();
      } catch (err) {
        const what = `injection classifier (${cfg.type}) of ${where} is not ready: ${(err as Error).message}; with failMode ${cfg.failMode} every inspected string is ${cfg.failMode === 'closed' ? 'treated as an injection' : 'passed without it'} until it answers`;
        this.log(`WARNING: ${what}`);
        this.audit.emit({ event: 'upstream_error', decision: cfg.failMode === 'closed' ? 'deny' : 'allow', reason: what });
      }
    }
  }

  /** Started, its initialize result reviewed, not disabled: at once when nothing is left to wait for (server-runtime.ts). */
  ready(rt: ServerRuntime): Promise<ServerRuntime> {
    return readyNow(this, rt) ? Promise.resolve(rt) : becomeReady(this, rt);
  }

  soleServer(): ServerRuntime | undefined {
    return this.servers.size === 1 ? [...this.servers.values()][0] : undefined;
  }

  async resolveName(exposed: string): Promise<(ServerRuntime & { name: string }) | undefined> {
    const split = this.namespacer.splitName(exposed);
    const rt = split && this.servers.get(split.server);
    if (!rt) return undefined;
    await this.ready(rt);
    return { ...rt, name: split.name };
  }

  async resolveUri(exposed: string): Promise<(ServerRuntime & { uri: string }) | undefined> {
    const split = this.namespacer.splitUri(exposed);
    const rt = split && this.servers.get(split.server);
    if (!rt) return undefined;
    await this.ready(rt);
    return { ...rt, uri: split.uri };
  }

  /** `caller`: who asks (tool rules may be for some subjects, roles, groups or scopes only). */
  decide(kind: 'tool' | 'prompt' | 'resource', server: string, name: string, caller?: Caller): AccessDecision {
    const rt = this.servers.get(server);
    if (!rt) return { allowed: false, rule: 'no such server' };
    // A server whose own settings say requireAuth serves no anonymous caller: neither listed nor called.
    if (rt.server.effective.requireAuth && (caller?.method ?? 'anonymous') === 'anonymous') return { allowed: false, rule: ANONYMOUS_REFUSED };
    // Drifted, pending, revoked or poisoned definitions are hidden exactly like denied ones.
    const pinned = this.pins?.decide(kind, server, name);
    if (pinned) return { allowed: false, rule: `${pinned.rule}: ${pinned.reason}` };
    const ref = { kind, server, name, servers: this.namespacer.serverNames };
    if (kind === 'tool') return rt.tools.decide(ref, caller);
    return (kind === 'prompt' ? rt.prompts : rt.resources).decide(ref);
  }

  /** Every scope the tool rules name (`scopes`, `requiredScopes`): `scopes_supported` in the RFC 9728 metadata. */
  scopesNamed(): string[] {
    const out = new Set<string>();
    for (const rt of this.servers.values()) {
      for (const r of rt.server.effective.toolAccess.allowedTools) {
        if (typeof r !== 'string') for (const x of [...(r.scopes ?? []), ...(r.requiredScopes ?? [])]) out.add(x);
      }
    }
    return [...out];
  }

  /** The principal of a stdio client: the configured subject, else the local OS user; roles from `mcp.identity.stdioRoles`. */
  static stdioPrincipal(configured?: string, roles: readonly string[] = []): Principal {
    let user = configured;
    if (!user) {
      try {
        user = userInfo().username;
      } catch {
        user = `uid:${process.getuid?.() ?? 'unknown'}`;
      }
    }
    return { subject: user, method: 'local-user', roles: [...roles] };
  }

  static stdioPrincipalFor(gw: Gateway): Principal {
    return Gateway.stdioPrincipal(gw.config.mcp.identity.stdioSubject, gw.config.mcp.identity.stdioRoles);
  }

  openSession(session: Session): void {
    this.sessions.add(session);
  }

  closeSession(session: Session, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    this.serverRequests.dropSession(session);
    this.approvals.dropSession(session);
    this.tasks.dropSession(session);
    for (const end of [...session.listens.values()]) end();
    for (const [, call] of session.inflight) {
      if (call.upstreamId !== undefined) {
        call.upstream.forget(call.upstreamId);
        void call.upstream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.upstreamId, reason: 'client disconnected' } }).catch(() => {});
      }
    }
    if (session.initialized && !session.stateless) {
      this.audit.emit({ event: 'connection_closed', session: session.id, connection: session.connection, principal: session.principal.subject, reason });
    }
  }

  /** Entry point for transports: one raw message from a client. */
  handleBytes(session: Session, bytes: Buffer): Promise<void> {
    return this.track(this.handle(session, bytes));
  }

  /** In-flight work is tracked so a clean shutdown can wait for it; nothing escapes as a crash. */
  track(work: Promise<void>): Promise<void> {
    const p = work.catch((err) => this.log(`internal error: ${(err as Error).stack ?? err}`));
    this.active.add(p);
    void p.then(() => this.active.delete(p), () => this.active.delete(p)); // not finally: 2 promises fewer a request
    return p;
  }

  private async handle(session: Session, bytes: Buffer): Promise<void> {
    const parsed = this.parse(bytes, session);
    if ('error' in parsed) {
      if (parsed.reply) session.send(parsed.reply, parsed.id ?? undefined, true);
      return;
    }
    await this.dispatch(session, parsed);
  }

  /**
   * Stage 0 of the chain: limits, parse and envelope on the raw bytes. A failure is audited and
   * yields the error to send back (none for a broken notification or response, per JSON-RPC).
   */
  parse(bytes: Buffer, who?: Session): Classified | { error: GatewayError; id: JsonRpcId | null; reply?: string } {
    const v = this.config.mcp.security.validation;
    let raw: unknown;
    try {
      // Depth counts from `params` (the root object and `params` are two levels).
      raw = parseJsonBytes(bytes, { maxBytes: v.maxMessageSize, maxDepth: v.maxNestingDepth + 1 });
      const c = classify(raw);
      rememberWireSize(c.msg, bytes.length); // for the target server's own limit (checks/server-limits.ts)
      return c;
    } catch (err) {
      const e = asGatewayError(err);
      this.audit.emit({ event: 'schema_validation_failed', session: who?.id, connection: who?.connection, principal: who?.principal.subject, decision: 'deny', reason: e.message, code: e.code });
      // A forbidden key is found after a successful parse: the id is still knowable.
      if (e.code === 'FORBIDDEN_KEY') raw = JSON.parse(bytes.toString('utf8'));
      const id = salvageId(raw);
      const isNotification = raw && typeof raw === 'object' && !Array.isArray(raw) && !('id' in raw);
      const reply = !isNotification || e.code === 'PARSE_ERROR' ? JSON.stringify({ jsonrpc: '2.0', id, error: e.toJsonRpcError() }) : undefined;
      return { error: e, id, reply };
    }
  }

  dispatch(session: Session, parsed: Classified): Promise<void> {
    session.lastSeen = Date.now();
    if (parsed.kind === 'request') return this.handleRequest(session, parsed.msg);
    if (parsed.kind === 'notification') return handleClientNotification(this, session, parsed.msg);
    return handleClientResponse(this, session, parsed.msg);
  }

  async handleRequest(session: Session, req: JsonRpcRequest): Promise<void> {
    const ctx: CallContext = {
      services: this,
      session,
      req,
      method: req.method,
      security: this.config.mcp.security,
      audit: {},
      startedAt: performance.now(),
    };
    if (this.stopping) {
      ctx.error = new GatewayError('SHUTTING_DOWN', 'Gateway is shutting down');
    } else {
      try {
        ctx.protocolVersion = this.requestVersion(session, req);
        await runRequestChain(ctx);
      } catch (err) {
        ctx.error ??= asGatewayError(err);
      }
    }
    try {
      this.responder.respond(ctx);
    } catch (err) {
      // Every request gets an answer: a bug in building the response must not leave a client hanging.
      this.log(`internal error answering ${ctx.method}: ${(err as Error).stack ?? err}`);
      const e = asGatewayError(err);
      ctx.session.send(JSON.stringify({ jsonrpc: '2.0', id: ctx.req.id, error: e.toJsonRpcError() }), ctx.req.id, true, e);
    }
  }

  /** 2026-07-28: every request carries its own version and client capabilities in `_meta`. */
  private requestVersion(session: Session, req: JsonRpcRequest): string | undefined {
    const meta = req.params?._meta as Record<string, unknown> | undefined;
    const version = meta?.[META.protocolVersion];
    if (version === undefined) {
      if (session.stateless) throw new GatewayError('UNSUPPORTED_PROTOCOL_VERSION', 'Missing protocol version envelope', { data: { supported: MODERN_VERSIONS } });
      return session.protocolVersion;
    }
    if (typeof version !== 'string' || !MODERN_VERSIONS.includes(version)) {
      throw new GatewayError('UNSUPPORTED_PROTOCOL_VERSION', 'Unsupported protocol version', { data: { supported: MODERN_VERSIONS, requested: version } });
    }
    const caps = meta?.[META.clientCapabilities];
    if (!caps || typeof caps !== 'object') throw new GatewayError('INVALID_PARAMS', 'Invalid params: missing clientCapabilities in _meta');
    if (session.stateless) {
      session.protocolVersion = version;
      session.clientCapabilities = caps as Record<string, unknown>;
      session.clientInfo = meta?.[META.clientInfo] as Session['clientInfo'];
      session.initialized = true;
    }
    return version;
  }

  /** The sole server's serverInfo as pins let clients see it (src/pins/server-presentation.ts). */
  serverInfo(): Record<string, unknown> {
    const only = this.soleServer();
    const init = only?.upstream.init;
    if (!init) return GATEWAY_INFO;
    return this.pins ? this.pins.presentInit(only.server.name, init).serverInfo : init.serverInfo;
  }

  askApproval(a: ApprovalAsk): Promise<ApprovalOutcome> {
    return this.approvals.decide(this, a);
  }

  responseChain(ctx: CallContext): Promise<void> {
    return runResponseChain(ctx);
  }

  /** Clean shutdown: refuse new work, let in-flight calls finish (bounded), close servers, flush audit. */
  async shutdown(reason = 'shutdown'): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const deadline = new Promise((r) => setTimeout(r, this.config.mcp.timeouts.shutdownSeconds * 1000).unref());
    await Promise.race([Promise.allSettled([...this.active]), deadline]);
    this.listeners.endAll();
    for (const s of [...this.sessions]) this.closeSession(s, reason);
    await Promise.allSettled([...this.servers.values()].map((rt) => rt.upstream.close()));
    await this.policy.close();
    this.pins?.stop();
    await this.approvals.close();
    this.audit.emit({ event: 'gateway_stopped', reason });
    await this.audit.close();
  }

  effectiveSecurity(server?: string): Security {
    return (server && this.servers.get(server)?.server.effective) || this.config.mcp.security;
  }
}
