/**
 * Which claims of a verified token become the caller's subject, roles, groups and scopes
 * (`mcp.identity.jwt.claims`). IdPs put roles in different places — `roles`, `groups`,
 * Keycloak's `realm_access.roles`, Auth0's namespaced `https://example.com/roles` — so each is a
 * path. A path segment that itself contains dots is written in brackets:
 * `["https://example.com/roles"]` or `resource_access["my-client"].roles`.
 *
 * Only own properties are read (a claim named `__proto__` or `constructor` finds nothing), values
 * that are not strings are ignored, and the lists are bounded: a token cannot make the gateway
 * build a huge role set.
 */
import type { JwtConfig } from '../config/identity-schema.ts';
import type { Principal } from '../gateway/session.ts';

const MAX_VALUES = 256;
const MAX_VALUE_LENGTH = 256;

/** `a.b["c.d"].e` → ['a', 'b', 'c.d', 'e']; undefined if malformed. */
export function parseClaimPath(path: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const m = /^\["([^"]+)"\]/.exec(path.slice(i));
      if (!m) return undefined;
      out.push(m[1]);
      i += m[0].length;
    } else {
      const m = /^[^.[]+/.exec(path.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    }
    if (i < path.length && path[i] === '.') {
      i++;
      if (i === path.length) return undefined;
    } else if (i < path.length && path[i] !== '[') {
      return undefined;
    }
  }
  return out.length ? out : undefined;
}

export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  const segments = parseClaimPath(path);
  if (!segments) return undefined;
  let v: unknown = claims;
  for (const s of segments) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<string, unknown>)[s];
  }
  return v;
}

/** Strings from a string (split on spaces when `split`) or a list of strings, deduplicated and bounded. */
function stringsOf(v: unknown, split: boolean, into: Set<string>): void {
  const items = typeof v === 'string' ? (split ? v.split(' ') : [v]) : Array.isArray(v) ? v : [];
  for (const x of items) {
    if (into.size >= MAX_VALUES) return;
    if (typeof x === 'string' && x.length > 0 && x.length <= MAX_VALUE_LENGTH) into.add(x);
  }
}

function collect(claims: Record<string, unknown>, paths: readonly string[], split: boolean): string[] {
  const out = new Set<string>();
  for (const p of paths) stringsOf(claimAt(claims, p), split, out);
  return [...out];
}

/** The principal a verified token stands for; undefined when the subject claim is missing or not a string. */
export function principalFromClaims(claims: Record<string, unknown>, mapping: JwtConfig['claims']): Principal | undefined {
  const subject = claimAt(claims, mapping.subject);
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 1024) return undefined;
  const iat = claims.iat;
  return {
    subject,
    method: 'jwt',
    roles: collect(claims, mapping.roles, false),
    groups: collect(claims, mapping.groups, false),
    // RFC 8693 §4.2 / RFC 9068: `scope` is space-separated; Microsoft's `scp` may be either.
    scopes: collect(claims, mapping.scopes, true),
    issuedAt: typeof iat === 'number' && Number.isFinite(iat) ? iat : undefined,
    expiresAt: typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined,
    credential: typeof claims.iss === 'string' ? claims.iss : undefined,
  };
}

/** Validation for the config schema: the problem with a claim path, or undefined. */
export function claimPathProblem(path: string): string | undefined {
  return parseClaimPath(path) ? undefined : `claim path '${path}': write segments separated by dots, and ["name"] for a claim whose name contains dots`;
}
