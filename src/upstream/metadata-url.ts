/**
 * Validation of URLs a server hands out (OAuth and resource metadata: token, authorization and
 * resource URLs) before the gateway uses or relays them.
 *
 * CVE-2025-6514 (mcp-remote): a malicious server answered with an `authorization_endpoint` that
 * the client passed to the OS "open URL" call, which ran `$(...)` through a shell. So a URL taken
 * on a server's word must be https (http only for loopback, i.e. local development), must not be
 * `javascript:`, `file:`, `data:` or any other scheme, must carry no credentials, no fragment, no
 * whitespace, control or shell metacharacters (`&` too: cmd.exe chains commands with it; these
 * endpoints do not need a query), and is bounded in length. A fetch made on a server's word must
 * also not reach private, link-local or cloud-metadata addresses (SSRF): that check reuses the
 * argument policy's resolver and IP classification (src/policy/url-constraint.ts).
 *
 * Where it applies: the configured OAuth `tokenUrl` of each upstream (at start and before every
 * token request). The gateway relays no URL from an upstream to its clients: an upstream's 401
 * (and its `WWW-Authenticate`) ends in an upstream error, never in a header sent downstream.
 */
import { compileUrlConstraint, dnsResolver, type Resolver } from '../policy/url-constraint.ts';

export const MAX_METADATA_URL_LENGTH = 2048;
const SHELL_OR_SPACE = /[\s\u0000-\u001f\u007f`$;|&<>"'\\{}^]/;
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export type MetadataUrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** The checks that need no network: scheme, shape, characters, credentials. */
export function checkMetadataUrlSyntax(value: unknown): MetadataUrlVerdict {
  if (typeof value !== 'string') return { ok: false, reason: 'not a string' };
  if (value.length > MAX_METADATA_URL_LENGTH) return { ok: false, reason: `longer than ${MAX_METADATA_URL_LENGTH} characters` };
  if (SHELL_OR_SPACE.test(value)) return { ok: false, reason: 'whitespace, a control character or a shell metacharacter' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname))) {
    return { ok: false, reason: `scheme '${url.protocol}' is not allowed (https only; http only on loopback)` };
  }
  if (url.username || url.password || /^[^?#]*\/\/[^/?#]*@/.test(value)) return { ok: false, reason: 'credentials in the URL' };
  if (value.includes('#')) return { ok: false, reason: 'a fragment' };
  return { ok: true, url };
}

const ssrf = compileUrlConstraint({ allowedSchemes: ['https', 'http'] }, { mode: 'rule' });

/** Syntax, then (unless allowed) no private, loopback, link-local or metadata destination. */
export async function checkMetadataUrl(value: unknown, opts: { allowPrivateAddresses?: boolean; resolve?: Resolver } = {}): Promise<MetadataUrlVerdict> {
  const syntax = checkMetadataUrlSyntax(value);
  if (!syntax.ok || opts.allowPrivateAddresses) return syntax;
  const v = await ssrf(value, opts.resolve ?? dnsResolver(5000));
  return v.ok ? syntax : { ok: false, reason: v.reason };
}
