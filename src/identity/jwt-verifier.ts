/**
 * Bearer JWT validation as an OAuth 2.1 resource server (MCP authorization, "Token Handling":
 * servers MUST validate that tokens were issued specifically for them).
 *
 * - Keys come from the issuer's JWKS, found through RFC 8414 metadata
 *   (`/.well-known/oauth-authorization-server`, path-inserted), else OIDC discovery, else the
 *   configured `jwksUri`. The metadata's `issuer` must equal the configured one (RFC 8414 §3.3),
 *   or a mix-up could make us trust another issuer's keys.
 * - jose's remote JWKS caches keys and refetches on an unknown `kid` only after a cooldown, so a
 *   flood of tokens with invented kids cannot hammer the IdP; every fetch is bounded in time and
 *   size, and never follows redirects.
 * - `iss`, `aud` (RFC 8707: this gateway's canonical URI), `exp` (required) and `nbf` are checked
 *   with a small leeway; only the configured asymmetric algorithms verify (`none` and HS* never:
 *   algorithm confusion); a token longer than `maxTokenBytes` is refused before it is decoded.
 * - A client sends the same token on every request: a verified token is remembered (by its
 *   SHA-256, at most VERIFIED_CACHE_SIZE of them) for up to VERIFIED_CACHE_MS, never past its
 *   `exp`, so most requests skip the signature check (as Envoy's jwt_cache does). A key removed
 *   from the JWKS stops verifying its tokens within that minute at the latest.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import type { JwtConfig } from '../config/identity-schema.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';

/** Why a token was refused: `reason` for the audit record only. */
export class TokenError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super('invalid token');
    this.reason = reason;
  }
}

const VERIFIED_CACHE_SIZE = 1024;
const VERIFIED_CACHE_MS = 60_000;

interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

/** GET with a timeout and a cap on the body; a redirect is a failure, not something to follow. */
export async function boundedFetch(url: string, limits: FetchLimits, init: { headers?: Headers; signal?: AbortSignal } = {}): Promise<Response> {
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(limits.timeoutMs)]) : AbortSignal.timeout(limits.timeoutMs);
  const res = await fetch(url, { method: 'GET', headers: init.headers, redirect: 'manual', signal });
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > limits.maxBytes) {
    await res.body?.cancel();
    throw new Error(`${url}: response of ${declared} bytes exceeds ${limits.maxBytes}`);
  }
  const parts: Uint8Array[] = [];
  let n = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      n += chunk.byteLength;
      if (n > limits.maxBytes) {
        await res.body.cancel().catch(() => {});
        throw new Error(`${url}: response exceeds ${limits.maxBytes} bytes`);
      }
      parts.push(chunk);
    }
  }
  return new Response(Buffer.concat(parts, n), { status: res.status, headers: res.headers });
}

/** RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted before the issuer's path; then OIDC's appended form. */
export function metadataUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return [`${u.origin}/.well-known/oauth-authorization-server${path}`, `${u.origin}${path}/.well-known/openid-configuration`];
}

export class JwtVerifier {
  readonly cfg: JwtConfig;
  readonly audience: string;
  private readonly limits: FetchLimits;
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private discovering?: Promise<ReturnType<typeof createRemoteJWKSet>>;
  private lastDiscoveryFailure = 0;
  /** SHA-256 of a verified token → its claims and until when they may be reused (ms). */
  private readonly verified = new Map<string, { payload: JWTPayload; until: number }>();

  constructor(cfg: JwtConfig, audience: string) {
    this.cfg = cfg;
    this.audience = audience;
    this.limits = { timeoutMs: cfg.fetchTimeoutSeconds * 1000, maxBytes: cfg.maxFetchBytes };
  }

  /** The JWKS resolver, discovering the JWKS URL once (a failed discovery is retried after the cooldown). */
  private keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return Promise.resolve(this.jwks);
    if (this.discovering) return this.discovering;
    if (Date.now() - this.lastDiscoveryFailure < this.cfg.jwksCooldownSeconds * 1000) {
      return Promise.reject(new TokenError('issuer metadata unavailable (discovery failed recently; retrying after the cooldown)'));
    }
    this.discovering = this.discover()
      .then((uri) => {
        this.jwks = createRemoteJWKSet(new URL(uri), {
          timeoutDuration: this.limits.timeoutMs,
          cooldownDuration: this.cfg.jwksCooldownSeconds * 1000,
          cacheMaxAge: this.cfg.jwksCacheSeconds * 1000,
          [customFetch]: (url, opts) => boundedFetch(url, this.limits, opts),
        });
        return this.jwks;
      })
      .catch((err: Error) => {
        this.lastDiscoveryFailure = Date.now();
        throw new TokenError(`issuer metadata unavailable: ${err.message}`);
      })
      .finally(() => {
        this.discovering = undefined;
      });
    return this.discovering;
  }

  private async discover(): Promise<string> {
    if (this.cfg.jwksUri) return this.cfg.jwksUri;
    const problems: string[] = [];
    for (const url of metadataUrls(this.cfg.issuer)) {
      try {
        const res = await boundedFetch(url, this.limits);
        if (res.status !== 200) {
          problems.push(`${url}: HTTP ${res.status}`);
          continue;
        }
        const meta = parseJsonBytes(new Uint8Array(await res.arrayBuffer()), { maxBytes: this.limits.maxBytes, maxDepth: 16 }) as Record<string, unknown>;
        if (meta?.issuer !== this.cfg.issuer) throw new Error(`${url}: metadata issuer ${JSON.stringify(meta?.issuer)} is not ${this.cfg.issuer}`);
        if (typeof meta.jwks_uri !== 'string') throw new Error(`${url}: no jwks_uri`);
        return new URL(meta.jwks_uri).href;
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    throw new Error(problems.join('; '));
  }

  /** Start discovery early so the first caller does not wait for it; failures surface on use. */
  warmUp(): void {
    this.keySet().catch(() => {});
  }

  /** The verified claims, or a TokenError saying why not. */
  async verify(token: string): Promise<JWTPayload> {
    if (Buffer.byteLength(token) > this.cfg.maxTokenBytes) throw new TokenError(`token of ${Buffer.byteLength(token)} bytes exceeds maxTokenBytes ${this.cfg.maxTokenBytes}`);
    const digest = createHash('sha256').update(token).digest('base64url');
    const hit = this.verified.get(digest);
    if (hit && Date.now() < hit.until) return hit.payload;
    if (hit) this.verified.delete(digest);
    const jwks = await this.keySet();
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer: this.cfg.issuer,
        audience: this.cfg.audience ?? this.audience,
        algorithms: [...this.cfg.algorithms],
        clockTolerance: this.cfg.clockToleranceSeconds,
        requiredClaims: ['exp'],
        ...(this.cfg.tokenType !== undefined && { typ: this.cfg.tokenType }),
      });
      // Reused only while it would still verify: before `exp` (without the leeway), and for a minute at most.
      const until = Math.min(payload.exp! * 1000, Date.now() + VERIFIED_CACHE_MS);
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(digest, { payload, until });
      return payload;
    } catch (err) {
      throw new TokenError(describe(err));
    }
  }
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) return `${err.code} (${err.claim}): ${err.message}`;
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return (err as Error).message ?? String(err);
}
