/**
 * The gateway core: sessions in, servers out, every message through the fixed check order
 * (`pipeline/chain.ts`). Transports (stdio, Streamable HTTP) hand it raw bytes and a session;
 * it answers through `session.send`.
 */
import { userInfo } from 'node:os';
import type { LoadedConfig, ResolvedServer } from '../config/load.ts';
import type { Security } from '../config/schema.ts';
import { asGatewayError, GatewayError } from '../errors.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { NO_INCIDENT, type IncidentView } from '../incident/incident-control.ts';
import { ANONYMOUS_REFUSED } from '../checks/authenticate.ts';
import { refuseServerRequest } from '../checks/allowed-methods.ts';
import { RateLimiter } from '../checks/rate-limit.ts';
import { runRequestChain, runResponseChain } from '../pipeline/chain.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { PinGuard } from '../pins/pin-guard.ts';
import { PolicyRuntime } from '../policy/policy-runtime.ts';
import { NamePolicy, ToolPolicy, type AccessDecision, type Caller } from '../policy/tool-policy.ts';
import { classify, salvageId, type Classified, type JsonRpcId, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse, type Params } from '../protocol/envelope.ts';
import { isModern, META, MODERN_CACHEABLE, MODERN_VERSIONS, notificationSchema } from '../protocol/revisions.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { rememberWireSize } from '../protocol/wire-size.ts';
import { frameResult } from '../protocol/splice.ts';
import { SandboxLauncher } from '../sandbox/launcher.ts';
import { MemoryStore } from '../state/memory-store.ts';
import { HttpTransport } from '../upstream/http-transport.ts';
import { httpUpstreamOptions } from '../upstream/http-upstream-options.ts';
import { scrubbedEnv, StdioTransport } from '../upstream/stdio-transport.ts';
import { Upstream } from '../upstream/upstream.ts';
import { Catalog } from './catalog.ts';
import { buildLocalHandlers, type LocalHandler } from './local-handlers.ts';
import { InputRequiredTable } from './input-required.ts';
import { Listeners } from './listeners.ts';
import { Namespacer } from './namespacing.ts';
import { ProgressRouter } from './progress.ts';
import { classifierFor } from '../inspect/classifier-for.ts';
import { inspectServerRequest, INSPECTED_SERVER_REQUESTS } from '../inspect/inspect-server-request.ts';
import { ServerRequestRouter } from './server-requests.ts';
import type { Principal, Session } from './session.ts';
import { candidatesFor, deliverToOwner, ownerOf } from './deliver-to-owner.ts';
import { TaskTable } from './task-table.ts';

export const GATEWAY_NAME = 'portcullis';
export const GATEWAY_VERSION = '0.1.0';
const GATEWAY_INFO = Object.freeze({ name: GATEWAY_NAME, version: GATEWAY_VERSION });
/** A sandboxed server that cannot answer a ping this long after a timed-out call is killed. */
const UNRESPONSIVE_KILL_MS = 5000;

export interface GatewayOptions {
  mode: 'run' | 'wrap';
  audit: AuditLog;
  /** Log sink for operational messages (never the MCP stdout in wrap mode). */
  log?: (line: string) => void;
  clock?: () => number;
  /** Lockdown, revocations, disabled servers (incident/); default: none. */
  incident?: IncidentView;
  /** Sees every finished request (metrics). */
  monitor?: { requestDone(ctx: CallContext): void };
  /** Tool/prompt/template/launch pins and the poisoning scan (src/pins/); none: everything as listed. */
  pins?: PinGuard;
}

interface ServerRuntime {
  server: ResolvedServer;
  upstream: Upstream;
  catalog: Catalog;
  tools: ToolPolicy;
  prompts: NamePolicy;
  resources: NamePolicy;
}

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
  /** Client `initialize` params used to start upstreams in wrap mode (the client's own, for fidelity). */
  private wrapInit?: Params;
  private stopping = false;
  private readonly active = new Set<Promise<void>>();

  constructor(loaded: LoadedConfig, opts: GatewayOptions) {
    this.loaded = loaded;
    this.mode = opts.mode;
    this.audit = opts.audit;
    this.log = opts.log ?? ((l) => process.stderr.write(`portcullis: ${l}\n`));
    this.incident = opts.incident ?? NO_INCIDENT;
    this.monitor = opts.monitor;
    this.pins = opts.pins;
    // An operator's approval or revocation changes what is listed: clients are told to list again.
    if (this.pins) this.pins.onListChanged = (kind) => this.broadcast({ jsonrpc: '2.0', method: `notifications/${kind === 'tool' ? 'tools' : kind === 'prompt' ? 'prompts' : 'resources'}/list_changed` });
    this.rateLimiter = new RateLimiter({ store: new MemoryStore(), clock: opts.clock });
    this.policy = new PolicyRuntime(loaded);
    this.namespacer = new Namespacer(loaded.servers.map((s) => s.name));
    this.sandbox = new SandboxLauncher({ audit: this.audit, log: this.log });
    for (const server of loaded.servers) {
      const sandboxed = Boolean(server.command) && server.effective.sandbox.enabled;
      const upstream = new Upstream(server.name, () => this.makeTransport(server), {
        maxMessageBytes: server.effective.validation.maxContextSize,
        killUnresponsiveMs: sandboxed ? UNRESPONSIVE_KILL_MS : undefined,
        events: {
          onServerRequest: (up, msg) => this.onServerRequest(up, msg),
          onNotification: (up, msg) => this.onServerNotification(up, msg),
          onDown: (up, reason) => this.onServerDown(up, reason),
          onKilled: (up, reason) => {
            this.log(`server '${up.name}': ${reason}`);
            this.audit.emit({ event: 'sandbox_killed', server: up.name, decision: 'deny', reason });
          },
          onCrashLoop: (up, failures, lastError) => {
            this.log(`server '${up.name}' is crash-looping (${failures} consecutive failures, last: ${lastError}); marked unhealthy`);
            this.audit.emit({ event: 'sandbox_crash_loop', server: up.name, decision: 'error', reason: lastError, detail: { failures, sandboxed } });
          },
          onProtocolError: (up, err) => {
            this.log(`server '${up.name}': ${err.message}${err.detail ? ` (${err.detail})` : ''}`);
            this.audit.emit({ event: 'upstream_error', server: up.name, decision: 'error', reason: err.detail ?? err.message, code: err.code });
          },
        },
      });
      const e = server.effective;
      this.servers.set(server.name, {
        server,
        upstream,
        catalog: new Catalog(upstream, this.timeoutMs(server), (kind, items) => this.pins?.review(server.name, kind, items)),
        tools: new ToolPolicy(e.toolAccess),
        prompts: new NamePolicy('prompt', e.promptAccess),
        resources: new NamePolicy('resource', e.resourceAccess),
      });
    }
    this.localHandlers = buildLocalHandlers(this);
  }

  get config() {
    return this.loaded.config;
  }

  private makeTransport(s: ResolvedServer) {
    const maxMessageBytes = s.effective.validation.maxContextSize;
    if (s.url) {
      return new HttpTransport(httpUpstreamOptions(s, { audit: this.audit, log: this.log, connectTimeoutMs: this.config.mcp.timeouts.connectSeconds * 1000 }));
    }
    // run: a scrubbed environment plus the configured one; wrap: the client started us with the
    // environment it meant for the server (API keys in its config), so it is passed on.
    const env = this.mode === 'wrap' ? { ...process.env, ...s.env } : scrubbedEnv(s.env);
    const sb = s.effective.sandbox;
    return new StdioTransport({
      command: s.command!,
      args: s.args,
      env,
      cwd: s.cwd,
      maxMessageBytes,
      onStderr: (line) => this.log(`[${s.name}] ${line}`),
      ...(sb.enabled && {
        launch: () => this.sandbox.launch({ server: { name: s.name, command: s.command!, args: s.args, env: s.env, cwd: s.cwd }, settings: sb }),
        maxOutputBytes: Math.max(sb.maxOutputBytes, maxMessageBytes),
      }),
    });
  }

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

  async ready(rt: ServerRuntime): Promise<ServerRuntime> {
    // An isolated server (`portcullis server disable`) is neither listed nor called, nor restarted.
    if (this.incident.isServerDisabled(rt.server.name)) {
      throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${rt.server.name}' is unavailable`, { detail: 'disabled by the operator' });
    }
    // A server whose launch (command, args, env names) changed since it was pinned is not started:
    // starting it is the attack (MCPoison). It stays stopped until `portcullis pins approve`.
    const launch = this.pins?.checkLaunch(rt.server.name);
    if (launch) throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${rt.server.name}' is unavailable`, { detail: `launch ${launch.state}: not started until an operator approves it (portcullis pins)` });
    await rt.upstream.ensureReady(this.upstreamInitParams(), this.config.mcp.timeouts.connectSeconds * 1000);
    return rt;
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
    void p.finally(() => this.active.delete(p));
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
    if (parsed.kind === 'notification') return this.handleNotification(session, parsed.msg);
    return this.handleClientResponse(session, parsed.msg);
  }

  async handleRequest(session: Session, req: JsonRpcRequest): Promise<void> {
    const ctx: CallContext = {
      gateway: this,
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
      this.respond(ctx);
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

  private respond(ctx: CallContext): void {
    const { session, req } = ctx;
    // Spec (basic/utilities/cancellation): a request the client cancelled gets no response.
    if (ctx.cancelled) return;
    if (ctx.error) {
      session.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, error: ctx.error.toJsonRpcError() }), req.id, true, ctx.error);
      return;
    }
    const res = ctx.response!;
    if (res.result) {
      if (this.namespacer.enabled && ctx.target && exposeUris(res.result, ctx.target.server.name, this.namespacer)) ctx.resultChanged = true;
      if (ctx.method === 'resources/subscribe' && ctx.target?.exposed) session.subscriptions.add(ctx.target.exposed);
      if (ctx.method === 'resources/unsubscribe' && ctx.target?.exposed) session.subscriptions.delete(ctx.target.exposed);
      const fast = this.spliced(ctx, res.result);
      if (fast) return session.send(fast, req.id, true);
      if (isModern(ctx.protocolVersion)) this.modernize(ctx.method, res.result);
    }
    session.send(JSON.stringify(res), req.id, true);
  }

  /** The client's response built around the server's own result bytes, when they still apply. */
  private spliced(ctx: CallContext, result: Record<string, unknown>): Buffer | undefined {
    const raw = ctx.resultRaw;
    if (!raw || ctx.resultChanged) return undefined;
    if (!isModern(ctx.protocolVersion)) return frameResult(ctx.req.id, raw);
    // 2026-07-28 additions go in front, when the server set none of them itself.
    if ('resultType' in result || '_meta' in result || 'ttlMs' in result || 'cacheScope' in result) return undefined;
    const cache = MODERN_CACHEABLE.has(ctx.method) ? '"ttlMs":0,"cacheScope":"private",' : '';
    return frameResult(ctx.req.id, raw, `"resultType":"complete",${cache}"_meta":{${JSON.stringify(META.serverInfo)}:${this.serverInfoJson()}}`);
  }

  private serverInfoCache?: { info: unknown; json: string };
  private serverInfoJson(): string {
    const info = this.serverInfo();
    if (this.serverInfoCache?.info !== info) this.serverInfoCache = { info, json: JSON.stringify(info) };
    return this.serverInfoCache.json;
  }

  /** 2026-07-28 results carry `resultType`, cache hints and the server's identity. */
  private modernize(method: string, result: Record<string, unknown>): void {
    result.resultType ??= 'complete';
    if (MODERN_CACHEABLE.has(method)) {
      result.ttlMs ??= 0;
      result.cacheScope ??= 'private';
    }
    const meta = { ...(result._meta as Record<string, unknown> | undefined) };
    meta[META.serverInfo] ??= this.serverInfo();
    result._meta = meta;
  }

  /** The sole server's serverInfo as pins let clients see it (src/pins/server-presentation.ts). */
  serverInfo(): Record<string, unknown> {
    const only = this.soleServer();
    const init = only?.upstream.init;
    if (!init) return GATEWAY_INFO;
    return this.pins ? this.pins.presentInit(only.server.name, init).serverInfo : init.serverInfo;
  }

  async responseChain(ctx: CallContext): Promise<void> {
    await runResponseChain(ctx);
  }

  private async handleNotification(session: Session, msg: JsonRpcNotification): Promise<void> {
    const schema = notificationSchema(session.protocolVersion, msg.method);
    if (!schema || !schema.safeParse(msg).success) {
      this.audit.emit({ event: 'schema_validation_failed', session: session.id, method: msg.method, decision: 'deny', reason: schema ? 'invalid notification params' : `unknown notification ${msg.method}` });
      return;
    }
    switch (msg.method) {
      case 'notifications/initialized':
        return;
      case 'notifications/cancelled': {
        session.listens.get(msg.params?.requestId as JsonRpcId)?.();
        const call = session.inflight.get(msg.params?.requestId as JsonRpcId);
        if (call?.upstreamId !== undefined) {
          call.cancelled = true;
          call.upstream.forget(call.upstreamId);
          await call.upstream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { ...msg.params, requestId: call.upstreamId } }).catch(() => {});
        }
        return;
      }
      case 'notifications/roots/list_changed':
        for (const rt of this.servers.values()) if (rt.upstream.state === 'ready') await rt.upstream.send(msg).catch(() => {});
        return;
      default:
        // Progress for a server's request, tasks status: single-server only (unambiguous).
        await this.soleServer()?.upstream.send(msg).catch(() => {});
    }
  }

  private async handleClientResponse(session: Session, res: JsonRpcResponse): Promise<void> {
    const settled = this.serverRequests.settle(session, res);
    if (!settled) return; // an answer to nothing we asked: dropped
    await settled.upstream.send(settled.message).catch(() => {});
  }

  private onServerRequest(up: Upstream, msg: JsonRpcRequest): void {
    if (msg.method === 'ping') {
      void up.send({ jsonrpc: '2.0', id: msg.id, result: {} }).catch(() => {});
      return;
    }
    if (refuseServerRequest(this, up, msg)) return; // validation.allowedMethods, server to client
    if (INSPECTED_SERVER_REQUESTS.has(msg.method)) {
      // Inspected like a result before any client sees it (src/inspect/inspect-server-request.ts).
      void inspectServerRequest(this, up, msg)
        .then((r) => {
          if ('refusal' in r) return void up.send(r.refusal).catch(() => {});
          this.routeServerRequest(up, r.msg);
        })
        .catch((err: Error) => {
          this.audit.emit({ event: 'policy_violation', server: up.name, method: msg.method, decision: 'deny', reason: `server request refused: inspection failed: ${err.message}` });
          void up.send({ jsonrpc: '2.0', id: msg.id, error: new GatewayError('INTERNAL', 'The gateway could not inspect this request').toJsonRpcError() }).catch(() => {});
        });
      return;
    }
    this.routeServerRequest(up, msg);
  }

  private routeServerRequest(up: Upstream, msg: JsonRpcRequest): void {
    const refusal = this.serverRequests.deliver(up, msg, candidatesFor(this, up, msg.params), this.mode === 'wrap');
    if (refusal) {
      this.audit.emit({ event: 'policy_violation', server: up.name, method: msg.method, decision: 'deny', reason: `server request refused: ${refusal.error!.message}` });
      void up.send(refusal).catch(() => {});
    } else if (this.audit.records('request_served')) {
      this.audit.emit({ event: 'request_served', server: up.name, method: msg.method, decision: 'allow', detail: { direction: 'server-to-client' } });
    }
  }

  private onServerNotification(up: Upstream, msg: JsonRpcNotification): void {
    const rt = this.servers.get(up.name)!;
    const p = msg.params ?? {};
    switch (msg.method) {
      case 'notifications/progress': {
        const e = this.progress.lookup(p.progressToken, up);
        if (e) e.session.send(JSON.stringify({ ...msg, params: { ...p, progressToken: e.token } }), e.related);
        return;
      }
      case 'notifications/cancelled': {
        const t = this.serverRequests.downstreamIdFor(up, p.requestId);
        if (t) t.session.send(JSON.stringify({ ...msg, params: { ...p, requestId: t.id } }));
        return;
      }
      // With pins, the new list is fetched at once: drift is found (hidden, audited, alerted)
      // even when no client lists again.
      case 'notifications/tools/list_changed':
        rt.catalog.invalidate('tools');
        if (this.pins) void rt.catalog.getTools().catch(() => {});
        return this.broadcast(msg);
      case 'notifications/prompts/list_changed':
        rt.catalog.invalidate('prompts');
        if (this.pins) void rt.catalog.getList('prompts').catch(() => {});
        return this.broadcast(msg);
      case 'notifications/resources/list_changed':
        rt.catalog.invalidate('resources');
        rt.catalog.invalidate('resourceTemplates');
        if (this.pins) for (const k of ['resources', 'resourceTemplates'] as const) void rt.catalog.getList(k).catch(() => {});
        return this.broadcast(msg);
      case 'notifications/message': {
        // A shared server's log lines can describe one tenant's calls: they go only to the session
        // that owns the server's current work (or the one wrap client), never to everyone.
        const owner = ownerOf(this, up, p);
        if (owner && levelAtLeast(p.level, owner.session.logLevel)) owner.session.send(JSON.stringify(msg), owner.related);
        return;
      }
      case 'notifications/resources/updated': {
        const uri = this.namespacer.exposeUri(up.name, String(p.uri));
        const out = JSON.stringify({ ...msg, params: { ...p, uri } });
        for (const s of this.sessions) if (s.subscriptions.has(uri)) s.send(out);
        this.listeners.publish(msg, uri);
        return;
      }
      default:
        // Never broadcast: tasks/status and anything unknown go to their owner only.
        return deliverToOwner(this, up, msg);
    }
  }

  private broadcast(msg: JsonRpcNotification): void {
    const out = JSON.stringify(msg);
    for (const s of this.sessions) if (!s.stateless && s.initialized) s.send(out);
    this.listeners.publish(msg);
  }

  private onServerDown(up: Upstream, reason: string): void {
    this.servers.get(up.name)?.catalog.invalidate();
    this.log(`server '${up.name}' went down: ${reason}`);
    this.audit.emit({ event: 'upstream_error', server: up.name, decision: 'error', reason });
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
    this.audit.emit({ event: 'gateway_stopped', reason });
    await this.audit.close();
  }

  effectiveSecurity(server?: string): Security {
    return (server && this.servers.get(server)?.server.effective) || this.config.mcp.security;
  }
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

function levelAtLeast(level: unknown, min: string | undefined): boolean {
  if (!min) return true;
  return LOG_LEVELS.indexOf(String(level)) >= LOG_LEVELS.indexOf(min);
}

/** Multi-server: resource URIs inside results name the server they came from. True if any changed. */
function exposeUris(result: Record<string, unknown>, server: string, ns: Namespacer): boolean {
  let changed = false;
  const fix = (o: unknown) => {
    if (o && typeof o === 'object' && typeof (o as { uri?: unknown }).uri === 'string') {
      (o as { uri: string }).uri = ns.exposeUri(server, (o as { uri: string }).uri);
      changed = true;
    }
  };
  for (const c of Array.isArray(result.content) ? result.content : []) {
    const item = c as { type?: string; resource?: unknown };
    if (item?.type === 'resource_link') fix(item);
    else if (item?.type === 'resource') fix(item.resource);
  }
  for (const c of Array.isArray(result.contents) ? result.contents : []) fix(c);
  for (const m of Array.isArray(result.messages) ? result.messages : []) {
    const content = (m as { content?: { type?: string; resource?: unknown } })?.content;
    if (content?.type === 'resource') fix(content.resource);
    else if (content?.type === 'resource_link') fix(content);
  }
  return changed;
}
