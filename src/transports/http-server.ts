/**
 * The client side of `portcullis run`: Streamable HTTP at `mcp.listen`.
 *
 * - 2025-06-18 / 2025-11-25: `initialize` creates a session (`Mcp-Session-Id`, 128 random bits);
 *   later requests must carry it; GET opens the session's notification stream; DELETE ends it.
 * - 2026-07-28: no session; each POST carries its own `_meta` envelope, and the
 *   `MCP-Protocol-Version` / `Mcp-Method` / `Mcp-Name` headers must agree with the body (-32020).
 *   Closing the request's stream cancels it.
 * A request's answer is JSON unless something related (progress, a server request) must go out
 * first; then the response turns into an SSE stream. Bodies are capped before buffering, headers
 * by Node's `maxHeaderSize`, and slow clients by request/header timeouts.
 *
 * Identity (src/identity/): every request (POST, GET, DELETE) is authenticated before anything else
 * reads it, so a 401/403 carries its `WWW-Authenticate` challenge; a session is bound to the
 * principal that created it, and a request presenting its id with another principal is answered
 * exactly like an unknown session (404), so session ids cannot be borrowed across callers.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../gateway/gateway.ts';
import { Session, type Principal } from '../gateway/session.ts';
import { HttpAuthenticator } from '../identity/http-authenticator.ts';
import type { Classified, JsonRpcId } from '../protocol/envelope.ts';
import { frameId } from '../protocol/frame-id.ts';
import { LEGACY_VERSIONS, META, MODERN_VERSIONS } from '../protocol/revisions.ts';
import { listenerTlsOptions, watchCertificates, type Reloader } from '../tls/listener-context.ts';
import { tlsInfo } from '../tls/peer-info.ts';
import { readRequestBody } from './read-body.ts';
import { requestGuard, type RequestGuard } from './request-guard.ts';

interface RequestStream {
  res: ServerResponse;
  sse: boolean;
  done: boolean;
}

interface HttpSessionState {
  streams: Map<JsonRpcId, RequestStream>;
  get?: ServerResponse;
}

const OK_JSON: [number, Record<string, string>] = [200, { 'content-type': 'application/json' }];

const NAME_FROM: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

export interface HttpServerHandle {
  server: Server;
  url: string;
  /** Re-read the TLS certificate files now (also done on change and SIGHUP); false if kept. */
  reloadCertificates?: () => boolean;
  close(): Promise<void>;
}

export async function serveHttp(gw: Gateway): Promise<HttpServerHandle> {
  const { host, port, path } = gw.config.mcp.listen;
  const states = new WeakMap<Session, HttpSessionState>();
  const byId = new Map<string, Session>();
  const idleMs = gw.config.mcp.timeouts.sessionIdleSeconds * 1000;

  // Set once the listener knows its URL (the default resource URI); before any request is served.
  let auth!: HttpAuthenticator;
  const requireAuth = gw.config.mcp.security.requireAuth;

  const makeSession = (req: IncomingMessage, stateless: boolean, principal: Principal): Session => {
    const state: HttpSessionState = { streams: new Map() };
    const session = new Session({
      principal,
      connection: `http:${req.socket.remoteAddress}:${req.socket.remotePort}`,
      stateless,
      send: (message, related, final, error) => deliver(state, message, related, final, error && authStatus(error, session.principal)),
    });
    // The channel's properties (negotiated group, client certificate) go on the session's
    // connection_established audit record (local-handlers.ts).
    // Only an initialize opens a session that records it; a stateless request does not need it.
    if (tlsSettings && !stateless) session.tls = tlsInfo(req.socket as TLSSocket);
    states.set(session, state);
    return session;
  };

  const sse = (res: ServerResponse, message: string | Buffer, end: boolean) => {
    res.write('event: message\ndata: ');
    res.write(message);
    if (end) res.end('\n\n');
    else res.write('\n\n');
  };

  const deliver = (state: HttpSessionState, message: string | Buffer, related?: JsonRpcId, final?: boolean, status?: [number, Record<string, string>]) => {
    const stream = related !== undefined ? state.streams.get(related) : undefined;
    if (stream && !stream.done) {
      if (final) {
        stream.done = true;
        state.streams.delete(related!);
        if (stream.sse) {
          sse(stream.res, message, true);
        } else {
          stream.res.writeHead(...(status ?? OK_JSON)).end(message);
        }
        return;
      }
      if (!stream.sse) {
        stream.sse = true;
        stream.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      }
      sse(stream.res, message, false);
      return;
    }
    // A response whose request stream is gone (closed, cancelled) is dropped: the GET stream
    // MUST NOT carry responses (spec, transports: listening for messages from the server).
    if (final && related !== undefined) return;
    // Unrelated messages (list_changed, logging) go on the session's GET stream, if it has one.
    if (state.get && !state.get.writableEnded) sse(state.get, message, false);
  };

  const endStream = (state: HttpSessionState, id: JsonRpcId) => {
    const stream = state.streams.get(id);
    if (!stream || stream.done) return;
    stream.done = true;
    state.streams.delete(id);
    if (!stream.sse) stream.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    stream.res.end();
  };

  const reject = (res: ServerResponse, err: GatewayError, id: JsonRpcId | null = null, headers: Record<string, string> = {}) => {
    if (res.headersSent) return res.end();
    res.writeHead(err.httpStatus, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ jsonrpc: '2.0', id, error: err.toJsonRpcError() }));
  };

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
    const connection = `http:${req.socket.remoteAddress}:${req.socket.remotePort}`;
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
   * The session named by `Mcp-Session-Id`, if it exists, is open and belongs to this principal.
   * Another principal's session is reported as not found (and audited): it must not be usable,
   * and its existence must not be confirmed.
   */
  const boundSession = (req: IncomingMessage, sid: string, principal: Principal): Session | undefined => {
    let session = byId.get(sid);
    // A session the operator revoked is gone: the client must start a new one.
    if (session?.closed) {
      byId.delete(sid);
      session = undefined;
    }
    if (!session) return undefined;
    if (session.principal.subject !== principal.subject || session.principal.method !== principal.method) {
      gw.audit.emit({
        event: 'session_principal_mismatch',
        session: session.id,
        connection: `http:${req.socket.remoteAddress}:${req.socket.remotePort}`,
        principal: principal.subject,
        authMethod: principal.method,
        decision: 'deny',
        reason: `session of ${session.principal.method}:${session.principal.subject} presented by ${principal.method}:${principal.subject}`,
        code: 'SESSION_NOT_FOUND',
      });
      return undefined;
    }
    // Same caller, possibly a refreshed credential: its scopes and `iat` apply from now on.
    session.principal = principal;
    return session;
  };

  const onPost = async (req: IncomingMessage, res: ServerResponse) => {
    // Before the body is read: an unauthenticated caller costs no buffering.
    const principal = await identify(req, res);
    if (!principal) return req.resume();
    const max = gw.config.mcp.security.validation.maxMessageSize;
    const read = await readRequestBody(req, max);
    if ('head' in read) {
      const id = frameId(read.head, read.tail);
      gw.audit.emit({ event: 'schema_validation_failed', connection: `http:${req.socket.remoteAddress}`, requestId: id ?? undefined, decision: 'deny', reason: `body over ${max} bytes`, code: 'MESSAGE_TOO_LARGE' });
      return reject(res, new GatewayError('MESSAGE_TOO_LARGE', `Message exceeds the limit of ${max} bytes`), id);
    }
    const body = read.body;
    const sid = header(req, 'mcp-session-id');
    let session = sid ? boundSession(req, sid, principal) : undefined;
    if (sid && !session) return reject(res, new GatewayError('SESSION_NOT_FOUND', 'Session not found'));
    const parsed = gw.parse(body, session);
    if ('error' in parsed) {
      if (!parsed.reply) return void res.writeHead(202).end();
      return void res.writeHead(parsed.error.httpStatus, { 'content-type': 'application/json' }).end(parsed.reply);
    }
    const modern = isModernMessage(parsed, req);
    if (modern) {
      const mismatch = headerMismatch(parsed, req);
      if (mismatch) {
        const id = parsed.kind === 'request' ? parsed.msg.id : null;
        gw.audit.emit({ event: 'schema_validation_failed', connection: `http:${req.socket.remoteAddress}`, decision: 'deny', reason: `header mismatch: ${mismatch}`, code: 'HEADER_MISMATCH' });
        return reject(res, new GatewayError('HEADER_MISMATCH', `Header mismatch: ${mismatch}`, { data: { mismatch } }), id);
      }
      // An envelope naming a version we do not speak is refused here, before dispatch: the
      // 2026-07-28 UnsupportedProtocolVersionError says "For HTTP, the status MUST be 400".
      const requested = parsed.kind === 'request' ? (parsed.msg.params?._meta as Record<string, unknown> | undefined)?.[META.protocolVersion] : undefined;
      if (requested !== undefined && !MODERN_VERSIONS.includes(requested as string)) {
        gw.audit.emit({ event: 'schema_validation_failed', connection: `http:${req.socket.remoteAddress}`, decision: 'deny', reason: `unsupported protocol version ${String(requested)}`, code: 'UNSUPPORTED_PROTOCOL_VERSION' });
        const err = new GatewayError('UNSUPPORTED_PROTOCOL_VERSION', 'Unsupported protocol version', { data: { supported: [...MODERN_VERSIONS], requested } });
        return reject(res, err, (parsed.msg as { id: JsonRpcId }).id);
      }
    }
    // 2025-06-18+ (transports, protocol version header): "an invalid or unsupported
    // MCP-Protocol-Version" MUST get 400 Bad Request.
    const pv = header(req, 'mcp-protocol-version');
    if (!modern && pv !== undefined && !LEGACY_VERSIONS.includes(pv)) {
      gw.audit.emit({ event: 'schema_validation_failed', connection: `http:${req.socket.remoteAddress}`, decision: 'deny', reason: `unsupported MCP-Protocol-Version ${pv}`, code: 'INVALID_REQUEST' });
      return reject(res, new GatewayError('INVALID_REQUEST', 'Bad Request: Unsupported protocol version'), parsed.kind === 'request' ? parsed.msg.id : null);
    }
    if (!session) {
      const isInit = parsed.kind === 'request' && parsed.msg.method === 'initialize';
      if (!isInit && !modern) return reject(res, new GatewayError('INVALID_REQUEST', 'Bad Request: Mcp-Session-Id header is required'));
      session = makeSession(req, !isInit, principal);
      // Stateless sessions are registered too, for as long as their one request runs, so a
      // server's request during the call can find its caller (input-required.ts).
      gw.openSession(session);
      if (isInit) byId.set(session.id, session);
    }
    const state = states.get(session)!;
    if (parsed.kind !== 'request') {
      await gw.track(gw.dispatch(session, parsed));
      // A cancelled request gets no response (spec, utilities/cancellation): its stream just ends.
      if (parsed.kind === 'notification' && parsed.msg.method === 'notifications/cancelled') endStream(state, parsed.msg.params?.requestId as JsonRpcId);
      return void res.writeHead(202).end();
    }
    const id = parsed.msg.id;
    if (state.streams.has(id)) return reject(res, new GatewayError('INVALID_REQUEST', 'Duplicate request id in flight'), id);
    if (!session.stateless) res.setHeader('mcp-session-id', session.id);
    const stream: RequestStream = { res, sse: false, done: false };
    state.streams.set(id, stream);
    // The client went away before the answer: for 2026-07-28 that *is* the cancellation.
    res.on('close', () => {
      if (stream.done) return;
      stream.done = true;
      state.streams.delete(id);
      session!.listens.get(id)?.();
      const call = session!.inflight.get(id);
      if (call?.upstreamId !== undefined) {
        call.upstream.forget(call.upstreamId);
        void call.upstream.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.upstreamId, reason: 'client closed the stream' } }).catch(() => {});
      }
    });
    await gw.track(gw.dispatch(session, parsed));
    if (session.stateless) gw.closeSession(session, 'request done');
    if (parsed.msg.method === 'initialize' && session.initialized === false) {
      byId.delete(session.id);
      gw.closeSession(session, 'initialize failed');
    }
  };

  const onGet = async (req: IncomingMessage, res: ServerResponse) => {
    const principal = await identify(req, res);
    if (!principal) return;
    const sid = header(req, 'mcp-session-id');
    const session = sid ? boundSession(req, sid, principal) : undefined;
    if (!session) return reject(res, new GatewayError(sid ? 'SESSION_NOT_FOUND' : 'INVALID_REQUEST', sid ? 'Session not found' : 'Bad Request: Mcp-Session-Id header is required'));
    if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
      return void res.writeHead(406, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Not Acceptable: use Accept: text/event-stream' } }));
    }
    const state = states.get(session)!;
    if (state.get && !state.get.writableEnded) return void res.writeHead(409).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'mcp-session-id': session.id });
    res.flushHeaders();
    state.get = res;
    // A token that expires ends the stream it opened: every POST is re-authenticated, and a GET
    // stream must not outlive its credential (the client reconnects with a fresh token).
    const expiry = principal.expiresAt !== undefined ? setTimeout(() => res.end(), Math.min(Math.max(0, principal.expiresAt * 1000 - Date.now()), 2 ** 31 - 1)) : undefined;
    res.on('close', () => {
      clearTimeout(expiry);
      if (state.get === res) state.get = undefined;
    });
  };

  const onDelete = async (req: IncomingMessage, res: ServerResponse) => {
    const principal = await identify(req, res);
    if (!principal) return;
    const sid = header(req, 'mcp-session-id');
    const session = sid ? boundSession(req, sid, principal) : undefined;
    if (!session) return reject(res, new GatewayError('SESSION_NOT_FOUND', 'Session not found'));
    byId.delete(session.id);
    states.get(session)?.get?.end();
    gw.closeSession(session, 'client ended the session');
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
        gw.audit.emit({ event: 'policy_violation', connection: `http:${req.socket.remoteAddress}`, decision: 'deny', reason: verdict.reason, code: 'ORIGIN_REJECTED' });
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

  const sweep = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [id, s] of byId) {
      if (s.lastSeen < cutoff && s.inflight.size === 0) {
        byId.delete(id);
        states.get(s)?.get?.end();
        gw.closeSession(s, 'idle timeout');
      }
    }
  }, Math.min(idleMs, 60_000));
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
      for (const s of byId.values()) states.get(s)?.get?.end();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isModernMessage(parsed: Classified, req: IncomingMessage): boolean {
  const pv = header(req, 'mcp-protocol-version');
  if (pv && MODERN_VERSIONS.includes(pv)) return true;
  if (parsed.kind === 'response') return false;
  const meta = parsed.msg.params?._meta as Record<string, unknown> | undefined;
  return meta?.[META.protocolVersion] !== undefined;
}

/** SEP-2243: the routing headers must say what the body says. */
function headerMismatch(parsed: Classified, req: IncomingMessage): string | undefined {
  if (parsed.kind === 'response') return undefined;
  const pv = header(req, 'mcp-protocol-version');
  const meta = parsed.msg.params?._meta as Record<string, unknown> | undefined;
  const bodyVersion = meta?.[META.protocolVersion];
  if (parsed.kind === 'request') {
    if (!pv) return 'MCP-Protocol-Version header missing';
    if (bodyVersion !== pv) return `MCP-Protocol-Version ${pv} != body ${String(bodyVersion)}`;
    const m = header(req, 'mcp-method');
    if (m !== parsed.msg.method) return `Mcp-Method ${m ?? '(missing)'} != body ${parsed.msg.method}`;
    const field = NAME_FROM[parsed.msg.method];
    if (field) {
      const raw = header(req, 'mcp-name');
      const name = raw === undefined ? undefined : decodeParamValue(raw);
      const want = parsed.msg.params?.[field];
      if (name !== want) return `Mcp-Name ${name ?? '(missing)'} != body ${String(want)}`;
    }
  } else if (pv && bodyVersion !== undefined && bodyVersion !== pv) {
    return `MCP-Protocol-Version ${pv} != body ${String(bodyVersion)}`;
  }
  return undefined;
}

/** `=?base64?...?=` wraps values that are not plain ASCII (SEP-2243). */
function decodeParamValue(v: string): string | undefined {
  const m = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/.exec(v);
  if (!m) return v;
  try {
    return Buffer.from(m[1], 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}
