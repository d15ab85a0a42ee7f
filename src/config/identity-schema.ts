/**
 * `mcp.identity`: who the caller is.
 *
 * - stdio (`portcullis wrap`): the local OS user, or `stdioSubject`, with `stdioRoles`.
 * - HTTP (`portcullis run`): an OAuth 2.1 bearer JWT validated as a resource server (MCP
 *   authorization, 2025-11-25 and 2026-07-28: RFC 9728 metadata, RFC 8707 audience), an API key
 *   (`Authorization: Bearer pcl_...`, stored as a hash), or a verified client certificate (mTLS).
 *
 * Part of the schema (schema.ts hooks it in as `mcp.identity`), kept apart because it is one concept.
 * Only asymmetric signature algorithms can be configured: `none` and HS* are not in the enum, so a
 * token signed with the issuer's *public* key as an HMAC secret (algorithm confusion) cannot verify.
 */
import { z } from 'zod';
import { claimPathProblem } from '../identity/claim-mapping.ts';

/** Asymmetric JWS algorithms jose verifies with a public key from a JWKS. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const DEFAULT_JWT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;

/** A claim path: `roles`, `realm_access.roles`, or a claim whose name holds dots written as `["https://example.com/roles"]`. */
const claimPath = z
  .string()
  .min(1)
  .max(256)
  .superRefine((p, ctx) => {
    const problem = claimPathProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const name = z.string().min(1).max(256);

const claimsSchema = z.strictObject({
  subject: claimPath.default('sub').describe('The claim that names the caller.'),
  roles: z.array(claimPath).default(['roles']).describe('Claims whose values become roles (string or list of strings), e.g. `realm_access.roles`.'),
  groups: z.array(claimPath).default(['groups']).describe('Claims whose values become groups.'),
  scopes: z.array(claimPath).default(['scope', 'scp']).describe('Claims holding granted scopes: a space-separated string (RFC 8693 `scope`) or a list (`scp`).'),
});

/**
 * OAuth 2.1 §1.5 / MCP authorization: authorization server endpoints MUST be HTTPS. Plain HTTP is
 * allowed on loopback only (a local test issuer), where nobody on the network can swap the keys.
 */
const secureUrl = z.url().refine((u) => {
  const { protocol, hostname } = new URL(u);
  return protocol === 'https:' || (protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(hostname));
}, 'must be an https:// URL (plain http only on loopback: 127.0.0.1, localhost, [::1]), or a network attacker could serve their own keys');

export const jwtSchema = z.strictObject({
  issuer: secureUrl.describe('The authorization server (`iss` must equal it). Its JWKS is discovered from RFC 8414 `/.well-known/oauth-authorization-server`, else OIDC `/.well-known/openid-configuration`.'),
  jwksUri: secureUrl.optional().describe('The JWKS URL, when it should not be discovered from the issuer.'),
  audience: z.string().min(1).optional().describe('The `aud` tokens must carry; default: `mcp.identity.resource` (RFC 8707: tokens issued for this gateway only).'),
  algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default([...DEFAULT_JWT_ALGORITHMS]).describe('Accepted signature algorithms (asymmetric only; `none` and HS* are never accepted).'),
  clockToleranceSeconds: z.number().int().min(0).max(300).default(30).describe('Leeway for `exp` and `nbf`.'),
  maxTokenBytes: z.number().int().min(256).max(65536).default(8192).describe('Longer bearer tokens are refused before they are decoded.'),
  tokenType: z
    .string()
    .min(1)
    .optional()
    .describe('Required JOSE `typ` header, e.g. `at+jwt` (RFC 9068 access tokens: stops an ID token or another JWT from the same issuer being used as an access token). Unset: not checked, since many providers issue `typ: JWT`.'),
  requiredScopes: z.array(name).default([]).describe('Scopes every request must carry; a token without them gets 403 `insufficient_scope` (step-up).'),
  scopesSupported: z.array(name).optional().describe('`scopes_supported` in the protected resource metadata; default: every scope named in the configuration.'),
  authorizationServers: z.array(z.url()).optional().describe('`authorization_servers` in the protected resource metadata; default: `[issuer]`.'),
  jwksCacheSeconds: z.number().int().positive().max(86400).default(600).describe('How long fetched keys are used before the JWKS is fetched again.'),
  jwksCooldownSeconds: z.number().int().min(1).max(3600).default(30).describe('After a fetch, a token with an unknown `kid` triggers no new fetch for this long (unknown kids cannot hammer the IdP).'),
  fetchTimeoutSeconds: z.number().positive().max(60).default(5).describe('Timeout of each metadata or JWKS fetch.'),
  maxFetchBytes: z.number().int().min(1024).max(4_194_304).default(262_144).describe('Largest metadata or JWKS document accepted.'),
  claims: claimsSchema.default(claimsSchema.parse({})).describe('Which claims become the subject, roles, groups and scopes.'),
});

export const apiKeySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ -').describe('Names the key in audit records (never the key itself).'),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits>, as printed by `portcullis keys api-key`').describe('SHA-256 of the key, from `portcullis keys api-key`.'),
  subject: name.describe('The caller this key identifies.'),
  roles: z.array(name).default([]),
  groups: z.array(name).default([]),
  scopes: z.array(name).default([]).describe('Scopes this key grants (compared with `requiredScopes` like a token\'s).'),
  createdAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When the key was made (`portcullis keys api-key` writes it). `portcullis revoke` refuses keys that existed before the revocation: a key without it, or with one in the future, counts as existing before every revocation.'),
});

export const mtlsIdentitySchema = z.strictObject({
  subjectFrom: z
    .enum(['auto', 'spiffe', 'cn'])
    .default('auto')
    .describe('`spiffe`: the one `URI:spiffe://` subjectAltName; `cn`: the subject CN; `auto`: the SPIFFE ID if present, else the CN.'),
  roles: z.record(name, z.array(name)).default({}).describe('Roles per certificate subject (SPIFFE ID or CN).'),
});

export const identitySchema = z.strictObject({
  stdioSubject: z.string().optional().describe('Identity of the stdio client; default: the local OS user.'),
  stdioRoles: z.array(name).default([]).describe('Roles of the stdio client.'),
  resource: z
    .url()
    .optional()
    .describe('The canonical URI of this gateway (RFC 8707 / RFC 9728 `resource`), e.g. `https://gw.example/mcp`; default: derived from `mcp.listen`.'),
  jwt: jwtSchema.optional().describe('OAuth 2.1 resource server: bearer JWTs from one issuer.'),
  apiKeys: z
    .array(apiKeySchema)
    .default([])
    .superRefine((keys, ctx) => {
      const seen = new Set<string>();
      keys.forEach((k, i) => {
        for (const v of [`id:${k.id}`, k.hash]) {
          if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate API key ${v.startsWith('id:') ? 'id' : 'hash'}; each key needs its own id and hash` });
          seen.add(v);
        }
      });
    })
    .describe('API keys for machine callers (`Authorization: Bearer pcl_...`).'),
  mtls: mtlsIdentitySchema.optional().describe('Take the identity from a verified client certificate (the listener must require and verify client certificates).'),
});

export type IdentityConfig = z.infer<typeof identitySchema>;
export type JwtConfig = z.infer<typeof jwtSchema>;
export type ApiKeyConfig = z.infer<typeof apiKeySchema>;
export type MtlsIdentityConfig = z.infer<typeof mtlsIdentitySchema>;
export const IDENTITY_DEFAULTS = identitySchema.parse({});

/**
 * `requireAuth: true` with no HTTP authenticator would refuse every HTTP caller: an operator's
 * mistake, reported by `check` and refused by `run` (not by `wrap`: stdio callers are the local user).
 */
export function requireAuthProblems(config: {
  mcp: {
    identity: IdentityConfig;
    listen: { tls?: { clientCertificate: 'none' | 'optional' | 'required' } };
    security: { requireAuth: boolean };
    servers: { security?: { requireAuth?: boolean } }[];
    skills: { security?: { requireAuth?: boolean } }[];
  };
}): { path: string; message: string }[] {
  const id = config.mcp.identity;
  // Certificate identity authenticates only if the listener actually asks for client certificates.
  const certs = id.mtls !== undefined && (config.mcp.listen.tls?.clientCertificate ?? 'none') !== 'none';
  if (id.jwt !== undefined || id.apiKeys.length > 0 || certs) return [];
  const paths: string[] = [];
  if (config.mcp.security.requireAuth) paths.push('mcp.security.requireAuth');
  config.mcp.servers.forEach((s, i) => s.security?.requireAuth && paths.push(`mcp.servers.${i}.security.requireAuth`));
  config.mcp.skills.forEach((s, i) => s.security?.requireAuth && paths.push(`mcp.skills.${i}.security.requireAuth`));
  return paths.map((path) => ({
    path,
    message:
      'requireAuth is true but no HTTP authenticator is configured, so `portcullis run` would refuse every caller. ' +
      'fix: configure mcp.identity.jwt (OAuth issuer), mcp.identity.apiKeys (`portcullis keys api-key`) or mcp.identity.mtls with mcp.listen.tls.clientCertificate: required and caPath (client certificates), see docs/identity.md; ' +
      'or set requireAuth: false. (`portcullis wrap` identifies the local user and needs none.)',
  }));
}
