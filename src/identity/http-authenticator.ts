/**
 * Who is making this HTTP request: a bearer JWT, an API key, a verified client certificate, or
 * nobody (anonymous). Run by the transport on every request, before dispatch, so a refusal can
 * carry its `WWW-Authenticate` challenge (MCP authorization; RFC 6750 §3; RFC 9728 §5.1).
 *
 * - Credentials are accepted only from the `Authorization: Bearer` header. A token in the query
 *   string (`?access_token=`) is refused (MCP authorization: "MUST NOT include access tokens in the
 *   URI query string"; URLs end up in logs and Referer headers).
 * - A presented credential that fails is refused, whatever `requireAuth` says: a bad credential is
 *   never downgraded to anonymous.
 * - `Bearer pcl_...` is an API key; any other bearer is a JWT.
 * - Required scopes missing from a valid token: 403 `insufficient_scope` with the scopes to ask
 *   for (step-up, MCP authorization "Scope Challenge Handling").
 */
import type { IncomingMessage } from 'node:http';
import type { IdentityConfig } from '../config/identity-schema.ts';
import type { Principal } from '../gateway/session.ts';
import { ApiKeyVerifier, looksLikeApiKey } from './api-keys.ts';
import { certificatePrincipal } from './cert-identity.ts';
import { principalFromClaims } from './claim-mapping.ts';
import { JwtVerifier, TokenError } from './jwt-verifier.ts';

export const ANONYMOUS: Readonly<Principal> = Object.freeze({ subject: 'anonymous', method: 'anonymous', roles: [] as string[] });

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      /** 400 for a malformed request (RFC 6750 §3.1 invalid_request), 401 bad or missing credential, 403 scope. */
      status: 400 | 401 | 403;
      /** RFC 6750 §3.1 error code; none when no credential was presented. */
      error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
      /** For the audit record only. */
      reason: string;
      /** The credential kind that was tried ('jwt', 'api-key', 'query'), for the audit record. */
      method?: string;
      subject?: string;
      /** insufficient_scope: the scopes to ask for. */
      scope?: string[];
    };

const BEARER_RE = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_AUTHORIZATION = 65_536;

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: ['header'];
}

export class HttpAuthenticator {
  private readonly cfg: IdentityConfig;
  private readonly jwt?: JwtVerifier;
  private readonly apiKeys: ApiKeyVerifier;
  /** RFC 8707 canonical URI of this gateway (the audience), and where its RFC 9728 metadata lives. */
  readonly resource: string;
  readonly metadataUrl: string;
  /** Request paths that serve the metadata: the root well-known and the path-inserted one (RFC 9728 §3.1). */
  readonly metadataPaths: string[];

  constructor(cfg: IdentityConfig, listenUrl: string) {
    this.cfg = cfg;
    this.resource = cfg.resource ?? listenUrl;
    const r = new URL(this.resource);
    const suffix = r.pathname === '/' ? '' : r.pathname.replace(/\/$/, '');
    this.metadataUrl = `${r.origin}/.well-known/oauth-protected-resource${suffix}`;
    this.metadataPaths = [...new Set(['/.well-known/oauth-protected-resource', `/.well-known/oauth-protected-resource${suffix}`, `/.well-known/oauth-protected-resource${new URL(listenUrl).pathname}`])];
    this.jwt = cfg.jwt ? new JwtVerifier(cfg.jwt, this.resource) : undefined;
    this.apiKeys = new ApiKeyVerifier(cfg.apiKeys);
    this.jwt?.warmUp();
  }

  get oauth(): boolean {
    return this.jwt !== undefined;
  }

  async authenticate(req: IncomingMessage): Promise<AuthOutcome> {
    if (queryHasToken(req.url ?? '')) {
      return { ok: false, status: 400, error: 'invalid_request', method: 'query', reason: 'access token in the URL query string (only the Authorization header is accepted)' };
    }
    const h = req.headers.authorization;
    if (h !== undefined) return this.fromHeader(h);
    const cert = this.cfg.mtls ? certificatePrincipal(req.socket, this.cfg.mtls) : undefined;
    return { ok: true, principal: cert ?? { ...ANONYMOUS, roles: [] } };
  }

  private async fromHeader(h: string): Promise<AuthOutcome> {
    const m = h.length <= MAX_AUTHORIZATION ? BEARER_RE.exec(h) : null;
    if (!m) return { ok: false, status: 400, error: 'invalid_request', reason: 'Authorization header is not `Bearer <token>`' };
    const token = m[1];
    if (looksLikeApiKey(token)) {
      const p = this.apiKeys.verify(token);
      if (!p) return { ok: false, status: 401, error: 'invalid_token', method: 'api-key', reason: 'unknown API key' };
      return this.scoped(p);
    }
    if (!this.jwt) return { ok: false, status: 401, error: 'invalid_token', method: 'jwt', reason: 'bearer token presented, but no identity.jwt issuer is configured' };
    let claims: Record<string, unknown>;
    try {
      claims = (await this.jwt.verify(token)) as Record<string, unknown>;
    } catch (err) {
      const reason = err instanceof TokenError ? err.reason : (err as Error).message;
      return { ok: false, status: 401, error: 'invalid_token', method: 'jwt', reason };
    }
    const p = principalFromClaims(claims, this.jwt.cfg.claims);
    if (!p) return { ok: false, status: 401, error: 'invalid_token', method: 'jwt', reason: `token has no string '${this.jwt.cfg.claims.subject}' claim` };
    return this.scoped(p);
  }

  /** Globally required scopes (identity.jwt.requiredScopes): a credential without them gets a step-up challenge. */
  private scoped(p: Principal): AuthOutcome {
    const required = this.cfg.jwt?.requiredScopes ?? [];
    const missing = required.filter((s) => !p.scopes?.includes(s));
    if (missing.length) {
      return { ok: false, status: 403, error: 'insufficient_scope', method: p.method, subject: p.subject, scope: required, reason: `missing required scope(s) ${missing.join(' ')}` };
    }
    return { ok: true, principal: p };
  }

  /**
   * The `WWW-Authenticate` value for a 401/403 (RFC 6750 §3, RFC 9728 §5.1). Without an explicit
   * scope, a 401 names the globally required scopes (MCP 2025-11-25 authorization: servers SHOULD
   * include `scope` so the client asks for the right token at once).
   */
  challenge(o: { error?: string; scope?: readonly string[] }): string {
    const parts: string[] = [];
    if (o.error) parts.push(`error="${o.error}"`);
    const scope = o.scope ?? this.cfg.jwt?.requiredScopes;
    if (scope?.length) parts.push(`scope="${scope.join(' ')}"`);
    if (this.jwt) parts.push(`resource_metadata="${this.metadataUrl}"`);
    else parts.push('realm="portcullis"');
    return `Bearer ${parts.join(', ')}`;
  }

  /** RFC 9728 §2 Protected Resource Metadata. */
  metadata(scopesNamed: readonly string[]): ProtectedResourceMetadata {
    const jwt = this.cfg.jwt;
    const scopes = jwt?.scopesSupported ?? [...new Set([...(jwt?.requiredScopes ?? []), ...scopesNamed])];
    return {
      resource: this.resource,
      authorization_servers: jwt ? (jwt.authorizationServers ?? [jwt.issuer]) : [],
      ...(scopes.length ? { scopes_supported: scopes } : {}),
      bearer_methods_supported: ['header'],
    };
  }
}

function queryHasToken(url: string): boolean {
  const q = url.indexOf('?');
  if (q === -1) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  return params.has('access_token') || params.has('api_key') || params.has('token');
}
