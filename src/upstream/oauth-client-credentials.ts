/**
 * The gateway's own credential toward an upstream: OAuth 2.1 client credentials (RFC 6749 §4.4,
 * OAuth 2.1 §4.2), fetched, cached until shortly before it expires, and refreshed. This is how
 * Portcullis avoids token passthrough (MCP authorization, security best practices: "token
 * passthrough" is forbidden): the upstream sees a token issued to the gateway for that upstream
 * (RFC 8707 `resource`), never the client's.
 *
 * The token endpoint is configuration, but it is still checked like a URL taken on a server's
 * word (metadata-url.ts): https, no credentials in it, no private address unless allowed. The
 * answer is bounded (size, time), parsed with prototype-key protection, and no redirect is
 * followed. The secret and the token are never logged: errors name the endpoint and the status.
 */
import { readFileSync } from 'node:fs';
import { request, type Dispatcher } from 'undici';
import type { UpstreamOauth } from '../config/upstream-tls-schema.ts';
import { readCapped } from '../util/read-capped.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { checkMetadataUrl } from './metadata-url.ts';

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
/** After a 401 forced a new token, another 401 within this long does not force one again. */
const FORCED_REFETCH_MS = 5000;
const TOKEN_TIMEOUT_MS = 10_000;
/** Refresh this long before `expires_in` runs out (clock skew, request time). */
const EXPIRY_MARGIN_MS = 30_000;
/** Without `expires_in`, a token is reused for this long. */
const DEFAULT_LIFETIME_MS = 300_000;

export class ClientCredentials {
  private readonly cfg: UpstreamOauth;
  private readonly resource: string;
  private readonly dispatcher?: Dispatcher;
  private cached?: { token: string; expiresAt: number };
  private lastForced = 0;
  private inflight?: Promise<string>;

  constructor(cfg: UpstreamOauth, serverUrl: string, dispatcher?: Dispatcher) {
    this.cfg = cfg;
    this.resource = cfg.resource ?? serverUrl;
    this.dispatcher = dispatcher;
  }

  /** A valid access token: the cached one, or a new one (concurrent callers share one fetch). */
  async token(): Promise<string> {
    if (this.cached && Date.now() < this.cached.expiresAt) return this.cached.token;
    this.inflight ??= this.fetchToken().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /**
   * The upstream refused `refused` (401). True when a retry can help: another token is already
   * cached (a concurrent call replaced it), or this one is dropped so the retry fetches another.
   * At most one such forced refetch per FORCED_REFETCH_MS: an upstream that refuses every token
   * (wrong audience or scope) must not make each call hammer the token endpoint.
   */
  invalidate(refused?: string): boolean {
    if (this.cached && refused !== undefined && this.cached.token !== refused) return true;
    const now = Date.now();
    if (now - this.lastForced < FORCED_REFETCH_MS) return false;
    this.lastForced = now;
    this.cached = undefined;
    return true;
  }

  private secret(): string {
    if (this.cfg.clientSecret !== undefined) return this.cfg.clientSecret;
    const s = readFileSync(this.cfg.clientSecretFile!, 'utf8');
    if (s.length > 4096) throw new Error('oauth.clientSecretFile is too large to be a secret');
    return s.trim();
  }

  private async fetchToken(): Promise<string> {
    const where = await checkMetadataUrl(this.cfg.tokenUrl, { allowPrivateAddresses: this.cfg.allowPrivateAddresses });
    if (!where.ok) throw new Error(`oauth.tokenUrl refused: ${where.reason}`);
    const form = new URLSearchParams({ grant_type: 'client_credentials', resource: this.resource });
    if (this.cfg.scope) form.set('scope', this.cfg.scope);
    if (this.cfg.audience) form.set('audience', this.cfg.audience);
    // client_secret_basic, with the form-encoding RFC 6749 §2.3.1 asks for.
    const basic = Buffer.from(`${encodeURIComponent(this.cfg.clientId)}:${encodeURIComponent(this.secret())}`).toString('base64');
    const started = Date.now();
    const res = await request(where.url, {
      method: 'POST',
      dispatcher: this.dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
      body: form.toString(),
      headersTimeout: TOKEN_TIMEOUT_MS,
      bodyTimeout: TOKEN_TIMEOUT_MS,
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
    const raw = await readCapped(res.body, MAX_TOKEN_RESPONSE_BYTES);
    if (raw === null) throw new Error(`token endpoint ${where.url.origin}: answer over ${MAX_TOKEN_RESPONSE_BYTES} bytes`);
    if (res.statusCode !== 200) throw new Error(`token endpoint ${where.url.origin} answered HTTP ${res.statusCode}`);
    let body: Record<string, unknown>;
    try {
      body = parseJsonBytes(raw, { maxBytes: MAX_TOKEN_RESPONSE_BYTES, maxDepth: 8 }) as Record<string, unknown>;
    } catch {
      throw new Error(`token endpoint ${where.url.origin}: the answer is not JSON`);
    }
    const token = body?.access_token;
    if (typeof token !== 'string' || !token || /[\r\n]/.test(token)) throw new Error(`token endpoint ${where.url.origin}: no usable access_token`);
    if (body.token_type !== undefined && String(body.token_type).toLowerCase() !== 'bearer') throw new Error(`token endpoint ${where.url.origin}: token_type is not Bearer`);
    const life = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : DEFAULT_LIFETIME_MS;
    this.cached = { token, expiresAt: started + Math.max(0, life - Math.min(EXPIRY_MARGIN_MS, life / 2)) };
    return token;
  }
}
