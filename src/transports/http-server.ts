/**
 * The client side of `portcullis run`: Streamable HTTP at `mcp.listen`.
 *
 * - 2025-06-18 / 2025-11-25: `initialize` creates a session (`Mcp-Session-Id`, 128 random bits);
 *   later requests must carry it; GET opens the session's notification stream; DELETE ends it.
 * - 2026-07-28: no session; each POST carries its own `_meta` envelope, admitted in the spec's
 *   order of precedence (modern-admission.ts). Closing the request's stream cancels it.
 * How an answer goes out (JSON or SSE, resumable with `Last-Event-ID` on 2025-11-25) is
 * session-streams.ts; HTTP statuses come from the one error table (src/errors.ts). Bodies are
 * capped before buffering, headers by Node's `maxHeaderSize`, and slow clients by request/header
 * timeouts.
 *
 * Identity (src/identity/): every request (POST, GET, DELETE) is authenticated before anything else
 * reads it, so a 401/403 carries its `WWW-Authenticate` challenge; a session is bound to the
 * principal that created it, and a request presenting its id with another principal is answered
 * exactly like an unknown session (404), so session ids cannot be borrowed across callers.
 *
 * Several replicas (`mcp.state.url`): sessions live in the shared store and any replica serves any
 * of them (session-registry.ts); what must reach the replica holding a session's GET stream, or
 * the one that asked the client something, crosses over the session bus (state/session-bus.ts).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { GatewayError, httpStatusOf } from '../errors.ts';
import type { Gateway } from '../gateway/gateway.ts';
import { sessionFromRecord } from '../gateway/session-record.ts';
import { Session, type Principal, type SessionSender } from '../gateway/session.ts';
import { HttpAuthenticator } from '../identity/http-authenticator.ts';
import type { JsonRpcId } from '../protocol/envelope.ts';
import { frameId } from '../protocol/frame-id.ts';
import { LEGACY_VERSIONS } from '../protocol/revisions.ts';
import { listenerTlsOptions, watchCertificates, type Reloader } from '../tls/listener-context.ts';
import { tlsInfo } from '../tls/peer-info.ts';
import { admitModern, header, isModernMessage } from './modern-admission.ts';
import type { Classified } from '../protocol/envelope.ts';
import type { SessionBus } from '../state/session-bus.ts';
import { stateUnavailable } from '../state/redis-connection.ts';
import { MemorySessionStore, type SessionStore } from '../state/session-store.ts';
import { ClientAddress } from './client-address.ts';
import { readRequestBody } from './read-body.ts';
import { requestGuard, type RequestGuard } from './request-guard.ts';
import { SessionRegistry } from './session-registry.ts';
import { OK_JSON, SessionStreams, type Status } from './session-streams.ts';

/** SEP-1699 resumability is a 2025-11-25 feature: earlier revisions get no priming events. */
const RESUMABLE_FROM = '2025-11-25';

export interface HttpServerHandle {
  server: Server;
  url: string;
  /** Re-read the TLS certificate files now (also done on change and SIGHUP); false if kept. */
  reloadCertificates?: () => boolean;
  close(): Promise<void>;
}

/** Where sessions live: this process (default), or a store and bus shared by every replica. */
export interface SessionSharing {
  store: SessionStore;
  bus?: SessionBus;
}

export async function serveHttp(gw: Gateway, sharing: SessionSharing = { store: new MemorySessionStore() }): Promise<HttpServerHandle> {
  const { host, port, path } = gw.config.mcp.listen;
  const states = new WeakMap<Session, SessionStreams>();
  const idleMs = gw.config.mcp.timeouts.sessionIdleSeconds * 1000;
  // A client may be asked by two replicas: each numbers its questions in its own name.
  if (sharing.bus) gw.serverRequests.idPrefix = `pcs-${sharing.bus.replica}-`;

  // Set once the listener knows its URL (the default resource URI); before any request is served.
  let auth!: HttpAuthenticator;
  const requireAuth = gw.config.mcp.security.requireAuth;

  const resumability = gw.config.mcp.listen.resumability;
  /** A session with its answer streams on this replica: new (`build` gets its sender) or restored. */
  const withStreams = (stateless: boolean, build: (send: SessionSender) => Session): Session => {
    // 2026-07-28 removed resumability (SEP-2575): a stateless request's streams have no ids.
    const policy = resumability.enabled && !stateless ? { ...resumability, ttlMs: resumability.ttlSeconds * 1000 } : undefined;
    const state = new SessionStreams(policy, (id) => abandon(session, id));
    const session: Session = build((message, related, final, error) => send(session, state, message, related, final, error));
    states.set(session, state);
    return session;
  };
  // Behind a load balancer: the caller's address from the trusted proxies' header (client-address.ts).
  const callers = new ClientAddress(gw.config.mcp.listen);
  const connectionOf = (req: IncomingMessage) => callers.connection(req);
  const makeSession = (req: IncomingMessage, stateless: boolean, principal: Principal): Session => {
    const session = withStreams(stateless, (send) => new Session({ principal, connection: connectionOf(req), stateless, send }));
    // The channel's properties (negotiated group, client certificate) go on the session's
    // connection_established audit record (local-handlers.ts).
    // Only an initialize opens a session that records it; a stateless request does not need it.
    if (tlsSettings && !stateless) session.tls = tlsInfo(req.socket as TLSSocket);
    return session;
  };

  /**
   * Out to the client. A message for the GET stream that another replica holds goes there (bus);
   * the answer to a request that changed the session (initialize, setLevel, subscribe) waits until
   * the change is saved, so the client's next request finds it on any replica.
   */
  const send = (session: Session, state: SessionStreams, message: string | Buffer, related?: JsonRpcId, final?: boolean, error?: GatewayError) => {
    if (related === undefined && !state.holdsGet && registry.toOtherReplicas(session, { op: 'stream', message: message.toString() })) return;
    if (final && related !== undefined && registry.needsSave(session)) {
      void registry.persist(session).then(
        () => state.deliver(message, related, final, error && answerStatus(error, session)),
        (err: GatewayError) => {
          gw.log(`session state not saved: ${err.detail ?? err.message}`);
          gw.audit.emit({ event: 'upstream_error', session: session.id, decision: 'error', reason: `session state not saved: ${err.detail ?? err.message}`, code: err.code });
          state.deliver(JSON.stringify({ jsonrpc: '2.0', id: related, error: err.toJsonRpcError() }), related, true, answerStatus(err, session));
        },
      );
      return;
    }
    state.deliver(message, related, final, error && answerStatus(error, session));
  };

  const registry = new SessionRegistry(gw, {
    store: sharing.store,
    bus: sharing.bus,
    idleMs,
    hooks: {
      connectionOf,
      restore: (rec, principal, req) => withStreams(false, (send) => sessionFromRecord(rec, { principal, connection: connectionOf(req), send })),
      closeStreams: (s) => states.get(s)?.close(),
      holdsGet: (s) => states.get(s)?.holdsGet ?? false,
      fromBus: (s, m) => {
        const state = states.get(s);
        if (!state) return;
        if (m.op === 'stream') return void (state.holdsGet && state.deliver(m.message));
        const parsed = gw.parse(Buffer.from(m.message), s);
        if (!('error' in parsed) && !heldElsewhere(s, parsed, state)) void applyClientMessage(s, parsed, state);
      },
    },
  });

  /**
   * A client's answer to a question this replica did not ask, or its cancellation of a call that
   * does not run here: for the replica that holds it.
   */
  const heldElsewhere = (session: Session, parsed: Classified, state: SessionStreams): boolean => {
    if (parsed.kind === 'response') return !gw.serverRequests.holds(session, parsed.msg.id);
    if (parsed.kind !== 'notification' || parsed.msg.method !== 'notifications/cancelled') return false;
    const id = parsed.msg.params?.requestId as JsonRpcId;
    return !session.inflight.has(id) && !state.has(id) && !session.listens.has(id);
  };

  const applyClientMessage = async (session: Session, parsed: Classified, state: SessionStreams) => {
    await gw.track(gw.dispatch(session, parsed));
    if (parsed.kind === 'notification' && parsed.msg.method === 'notifications/cancelled') state.cancel(parsed.msg.params?.requestId as JsonRpcId);
  };

  /** The client of request `id` went away for good: the call is abandoned upstream. */
  const abandon = (session: Session, id: JsonRpcId) => {
    session.listens.get(id)?.();
    const call = session.inflight.get(id);
    if (call?.upstreamId !== undefined) {
      call.upstream.forget(call.upstreamId);
      void call.upstream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.upstreamId, reason: 'client closed the stream' } }).catch(() => {});
    }
  };

  const reject = (res: ServerResponse, err: GatewayError, id: JsonRpcId | null = null, headers: Record<string, string> = {}, modern = false) => {
    if (res.headersSent) return res.end();
    const status = httpStatusOf(err.code, { modern, dispatched: false });
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', id, error: err.toJsonRpcError() }));
  };

  /** The HTTP status of a dispatched request's error answer: the credential's, else the table's. */
  const answerStatus = (err: GatewayError, session: Session): Status =>
    authStatus(err, session.principal) ?? [httpStatusOf(err.code, { modern: session.stateless, dispatched: true }), OK_JSON[1]];

  /**
   * An in-chain refusal that is about the credential (`authenticate` under a per-server
   * requireAuth, `revocation`, a tool rule's step-up) keeps its HTTP meaning: 401/403 with the
   * challenge, not 200. The gateway hands the error over with the answer (SessionSender).
   */
  const authStatus = (err: GatewayError, principal: Principal): [number, Record<string, string>] | undefined => {
    // RFC 6750 §3.1: no error code when the caller presented no credential (an anonymous caller
    // refused by a server's own requireAuth); `invalid_token` for a revoked token or session.
    if (err.code === 'UNAUTHENTICATED') return [401, { ...OK_JSON[1], 'www-authenticate': auth.challenge({ error: principal.method === 'anonymous' ? undefined : 'invalid_token' }) }];
    if (err.code === 'INSUFFICIENT_SCOPE') return [403, { ...OK_JSON[1], 'www-authenticate': auth.challenge({ error: 'insufficient_scope', scope: (err.data as { scope?: string[] } | undefined)?.scope }) }];
    return undefined;
  };

  /**
   * Who sent this request, or undefined once it has been refused (401/403 with the challenge,
   * audited). A presented credential that fails is refused even without requireAuth.
   */
  const identify = async (req: IncomingMessage, res: ServerResponse): Promise<Principal | undefined> => {
    const o = await auth.authenticate(req);
    const connection = callers.connection(req);
    if (o.ok && (o.principal.method !== 'anonymous' || !requireAuth)) return o.principal;
    const fail = o.ok ? { status: 401, reason: 'requireAuth: no credential presented', error: undefined, scope: undefined, method: undefined, subject: undefined } : o;
    const code = fail.status === 403 ? 'INSUFFICIENT_SCOPE' : fail.status === 400 ? 'INVALID_REQUEST' : 'UNAUTHENTICATED';
    gw.audit.emit({ event: 'authentication_failed', connection, principal: fail.subject, authMethod: fail.method, decision: 'deny', reason: fail.reason, code });
    const message = fail.status === 403 ? 'Insufficient scope' : fail.status === 400 ? 'Bad Request: credentials are accepted only in the Authorization header' : 'Authentication required';
    const data = fail.scope ? { scope: fail.scope } : undefined;
    reject(res, new GatewayError(code, message, { data }), null, { 'www-authenticate': auth.challenge({ error: fail.error, scope: fail.scope }) });
    return undefined;
  };

  /**
   * The session named by `Mcp-Session-Id` (this principal's, open), or undefined; null once the
   * request was answered (the shared store cannot be read: refused, never guessed).
   */
  const lookup = async (req: IncomingMessage, res: ServerResponse, sid: string, principal: Principal): Promise<Session | undefined | null> => {
    try {
      return await registry.find(req, sid, principal);
    } catch (err) {
      const e = err instanceof GatewayError ? err : stateUnavailable(err);
      gw.log(`WARNING: session ${e.message.toLowerCase()}: ${e.detail ?? ''}`);
      gw.audit.emit({ event: 'upstream_error', connection: connectionOf(req), principal: principal.subject, decision: 'deny', reason: `session lookup failed: ${e.detail ?? e.message}`, code: e.code });
      reject(res, e);
      return null;
    }
  };

  const onPost = async (req: IncomingMessage, res: ServerResponse) => {
    // Before the body is read: an unauthenticated caller costs no buffering.
    const principal = await identify(req, res);
    if (!principal) return req.resume();
    const max = gw.config.mcp.security.validation.maxMessageSize;
    const read = await readRequestBody(req, max);
    if ('head' in read) {
      const id = frameId(read.head, read.tail);
      gw.audit.emit({ event: 'schema_validation_failed', connection: callers.connection(req), requestId: id ?? undefined, decision: 'deny', reason: `body over ${max} bytes`, code: 'MESSAGE_TOO_LARGE' });
      return reject(res, new GatewayError('MESSAGE_TOO_LARGE', `Message exceeds the limit of ${max} bytes`), id);
    }
    const body = read.body;
    const sid = header(req, 'mcp-session-id');
    const found = sid ? await lookup(req, res, sid, principal) : undefined;
    if (found === null) return;
    let session = found;
    if (sid && !session) return reject(res, new GatewayError('SESSION_NOT_FOUND', 'Session not found'));
    const parsed = gw.parse(body, session);
    if ('error' in parsed) {
      if (!parsed.reply) return void res.writeHead(202).end();
      return void res.writeHead(parsed.error.httpStatus, { 'content-type': 'application/json' }).end(parsed.reply);
    }
    const modern = isModernMessage(parsed, req);
    const refusal = modern ? admitModern(parsed, req) : undefined;
    if (refusal) {
      gw.audit.emit({ event: 'schema_validation_failed', connection: callers.connection(req), decision: 'deny', reason: refusal.reason, code: refusal.error.code });
      return reject(res, refusal.error, parsed.kind === 'request' ? parsed.msg.id : null, {}, true);
    }
    // 2025-06-18+ (transports, protocol version header): "an invalid or unsupported
    // MCP-Protocol-Version" MUST get 400 Bad Request.
    const pv = header(req, 'mcp-protocol-version');
    if (!modern && pv !== undefined && !LEGACY_VERSIONS.includes(pv)) {
      gw.audit.emit({ event: 'schema_validation_failed', connection: callers.connection(req), decision: 'deny', reason: `unsupported MCP-Protocol-Version ${pv}`, code: 'INVALID_REQUEST' });
      return reject(res, new GatewayError('INVALID_REQUEST', 'Bad Request: Unsupported protocol version'), parsed.kind === 'request' ? parsed.msg.id : null);
    }
    if (!session) {
      // A 2026-07-28 `initialize` is a removed method answered statelessly (404), not a session.
      const isInit = !modern && parsed.kind === 'request' && parsed.msg.method === 'initialize';
      if (!isInit && !modern) return reject(res, new GatewayError('INVALID_REQUEST', 'Bad Request: Mcp-Session-Id header is required'));
      session = makeSession(req, !isInit, principal);
      // Stateless sessions are registered too, for as long as their one request runs, so a
      // server's request during the call can find its caller (input-required.ts).
      gw.openSession(session);
      if (isInit) registry.add(session);
    }
    const state = states.get(session)!;
    if (parsed.kind !== 'request') {
      const forwarded = heldElsewhere(session, parsed, state) && registry.toOtherReplicas(session, { op: 'client', message: body.toString() });
      if (!forwarded) await applyClientMessage(session, parsed, state);
      return void res.writeHead(202).end();
    }
    const id = parsed.msg.id;
    if (state.has(id)) return reject(res, new GatewayError('INVALID_REQUEST', 'Duplicate request id in flight'), id);
    if (!session.stateless) res.setHeader('mcp-session-id', session.id);
    // A 2025-11-25 session's answer is a resumable stream when the client accepts one.
    const resumable = !session.stateless && (session.protocolVersion ?? '') >= RESUMABLE_FROM && accepts(req, 'text/event-stream');
    state.openRequest(id, res, resumable);
    await gw.track(gw.dispatch(session, parsed));
    if (session.stateless) gw.closeSession(session, 'request done');
    if (parsed.msg.method === 'initialize' && session.initialized === false) registry.closeHere(session, 'initialize failed');
  };

  const onGet = async (req: IncomingMessage, res: ServerResponse) => {
    const principal = await identify(req, res);
    if (!principal) return;
    const sid = header(req, 'mcp-session-id');
    const session = sid ? await lookup(req, res, sid, principal) : undefined;
    if (session === null) return;
    if (!session) return reject(res, new GatewayError(sid ? 'SESSION_NOT_FOUND' : 'INVALID_REQUEST', sid ? 'Session not found' : 'Bad Request: Mcp-Session-Id header is required'));
    if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
      return void res.writeHead(406, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Not Acceptable: use Accept: text/event-stream' } }));
    }
    const state = states.get(session)!;
    const headers = { 'mcp-session-id': session.id };
    // Resumption (2025-11-25 transports): replay what the named stream sent after that event, then
    // carry on. An id that is not this session's (another session's, another principal's, expired,
    // or with events evicted since) resumes nothing: no replay across sessions or tenants.
    const last = header(req, 'last-event-id');
    if (last !== undefined) {
      if (!state.resume(last, res, headers)) {
        gw.audit.emit({ event: 'policy_violation', session: session.id, connection: callers.connection(req), principal: principal.subject, decision: 'deny', reason: 'Last-Event-ID names no resumable stream of this session', code: 'INVALID_REQUEST' });
        return reject(res, new GatewayError('INVALID_REQUEST', 'Bad Request: that stream cannot be resumed'));
      }
    } else if (!state.openGet(res, headers, (session.protocolVersion ?? '') >= RESUMABLE_FROM)) {
      return void res.writeHead(409).end();
    }
    // A token that expires ends the connection it opened (a new or a resumed stream): every POST is
    // re-authenticated, and a GET must not outlive its credential (the client resumes with a fresh one).
    const expiry = principal.expiresAt !== undefined ? setTimeout(() => res.end(), Math.min(Math.max(0, principal.expiresAt * 1000 - Date.now()), 2 ** 31 - 1)) : undefined;
    res.on('close', () => clearTimeout(expiry));
  };

  const onDelete = async (req: IncomingMessage, res: ServerResponse) => {
    const principal = await identify(req, res);
    if (!principal) return;
    const sid = header(req, 'mcp-session-id');
    const session = sid ? await lookup(req, res, sid, principal) : undefined;
    if (session === null) return;
    if (!session) return reject(res, new GatewayError('SESSION_NOT_FOUND', 'Session not found'));
    await registry.end(session, 'client ended the session');
    res.writeHead(200).end();
  };

  const tlsSettings = gw.config.mcp.listen.tls;
  const limits = gw.config.mcp.listen.limits;
  // Slowloris: the head and the body must arrive in bounded time; an idle keep-alive is closed.
  // `requestTimeout` covers receiving the request only, so long SSE answers are not cut.
  const httpOptions: ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    headersTimeout: Math.min(limits.headersTimeoutSeconds * 1000, limits.requestTimeoutSeconds * 1000 || Infinity),
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
  };
  let guard!: RequestGuard;
  const handler: RequestListener = (req, res) => {
      // Origin/Host before anything else (DNS rebinding): the request is not looked at further.
      const verdict = guard.check(req);
      if (!verdict.ok) {
        gw.audit.emit({ event: 'policy_violation', connection: callers.connection(req), decision: 'deny', reason: verdict.reason, code: 'ORIGIN_REJECTED' });
        return reject(res, new GatewayError('ORIGIN_REJECTED', 'Forbidden: Origin or Host not allowed'));
      }
      if (guard.cors(req, res)) return;
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const reqPath = q === -1 ? url : url.slice(0, q);
      // RFC 9728 §3: the protected resource metadata, public (clients read it before they have a token).
      if (auth.oauth && auth.metadataPaths.includes(reqPath) && req.method === 'GET') {
        return void res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(auth.metadata(gw.scopesNamed())));
      }
      if (reqPath !== path) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      const work =
        req.method === 'POST' ? onPost(req, res) : req.method === 'GET' ? onGet(req, res) : req.method === 'DELETE' ? onDelete(req, res) : Promise.resolve(void res.writeHead(405, { allow: 'GET, POST, DELETE' }).end());
      work.catch((err) => {
        gw.log(`http error: ${(err as Error).message}`);
        reject(res, new GatewayError('INTERNAL', 'Internal gateway error'));
      });
  };
  let reloader: Reloader | undefined;
  let server: Server;
  if (tlsSettings) {
    const https = createHttpsServer({ ...httpOptions, ...listenerTlsOptions(tlsSettings) }, handler);
    // A failed handshake (no or untrusted client certificate, no shared group) never reaches the
    // handler; it is logged so an operator can see refused clients.
    https.on('tlsClientError', (err, socket) => gw.log(`TLS handshake refused from ${socket.remoteAddress ?? '?'}: ${err.message}`));
    reloader = watchCertificates(https, tlsSettings, gw.log);
    server = https as unknown as Server;
  } else {
    server = createServer(httpOptions, handler);
  }
  server.on('clientError', (_err, socket) => socket.destroy());

  const sweep = setInterval(() => void registry.sweep().catch((err: Error) => gw.log(`session sweep: ${err.message}`)), Math.min(idleMs, 60_000));
  sweep.unref();

  await new Promise<void>((resolve, rej) => {
    server.once('error', rej);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const scheme = tlsSettings ? 'https' : 'http';
  guard = requestGuard(gw.config.mcp.listen, actualPort, scheme);
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actualPort}${path}`;
  auth = new HttpAuthenticator(gw.config.mcp.identity, url);
  return {
    server,
    url,
    ...(reloader && { reloadCertificates: reloader.reload }),
    close: async () => {
      reloader?.close();
      clearInterval(sweep);
      registry.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Whether the request's `Accept` lists this media type. */
function accepts(req: IncomingMessage, type: string): boolean {
  return String(req.headers.accept ?? '').split(',').some((t) => t.split(';')[0].trim().toLowerCase() === type);
}
