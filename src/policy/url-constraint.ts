/**
 * URL arguments of tools that fetch: scheme, host and port allowlists, and the SSRF guard.
 *
 * The guard refuses loopback, private, link-local and cloud-metadata destinations, judged on the
 * addresses the host name resolves to (a public-looking name such as `127.0.0.1.nip.io` can point
 * at loopback), with a timeout; a name that does not resolve is refused (fail closed).
 *
 * Parser differentials are refused rather than guessed: WHATWG reads `http://evil.com\@10.0.0.1/`
 * as host `evil.com` where curl and Python read `10.0.0.1`, so a backslash, whitespace, a control
 * character or userinfo (`user@host`) in a URL argument is refused. Numeric host forms (decimal
 * `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`, fullwidth digits) are canonicalized by the
 * WHATWG parser before the check.
 *
 * What the gateway cannot stop is DNS rebinding: the server resolves the name again, later. The
 * sandbox's network policy (no network, or an allowlist) closes that gap.
 */
import { lookup } from 'node:dns/promises';
import { compileGlob, type GlobMatcher } from './glob.ts';
import { isIpLiteral, nonPublicRange } from './ip-ranges.ts';
import type { ConstraintVerdict } from './path-constraint.ts';

export const MAX_URL_LENGTH = 8192;

export interface UrlRules {
  allowedSchemes?: readonly string[];
  allowedHosts?: readonly string[];
  allowedPorts?: readonly number[];
  allowPrivateAddresses?: boolean;
}

/** Resolves a host name to its addresses (all of them). */
export type Resolver = (host: string) => Promise<string[]>;

type Lookup = (host: string, opts: { all: true; verbatim: true }) => Promise<{ address: string }[]>;

export function dnsResolver(timeoutMs: number, lookupFn: Lookup = lookup): Resolver {
  return async (host) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`DNS lookup timed out after ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    try {
      const found = await Promise.race([lookupFn(host, { all: true, verbatim: true }), timeout]);
      return found.map((a) => a.address);
    } finally {
      clearTimeout(timer);
    }
  };
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };
/** Names that are loopback or metadata whatever DNS says (RFC 6761; GCP, Azure, AWS). */
const LOCAL_NAMES = ['localhost', '*.localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal'].map((p) => compileGlob(p));

/** A name that is loopback or a metadata endpoint whatever DNS says (lower case, no trailing dot). */
export function isLocalName(host: string): boolean {
  return LOCAL_NAMES.some((m) => m(host));
}
const UNSAFE_CHARS = /[\u0000-\u0020\u007f\\]/;

export type UrlCheck = (value: unknown, resolve: Resolver) => Promise<ConstraintVerdict>;

export interface UrlCheckOptions {
  /**
   * `rule`: the value must be an absolute URL (a rule constrains this argument).
   * `guard`: the SSRF default for URL-like arguments of any tool; values that are not absolute
   * URLs with a host (an id, a relative reference, `data:`) are nothing to fetch and pass.
   */
  mode: 'rule' | 'guard';
}

export function compileUrlConstraint(r: UrlRules, opts: UrlCheckOptions): UrlCheck {
  const schemes = r.allowedSchemes?.map((s) => s.toLowerCase().replace(/:$/, ''));
  const hosts: { source: string; match: GlobMatcher }[] | undefined = r.allowedHosts?.map((h) => ({ source: h, match: compileGlob(h.toLowerCase().replace(/\.$/, '')) }));
  const ports = r.allowedPorts;
  const deny = (rule: string, reason: string): ConstraintVerdict => ({ ok: false, rule, reason });

  return async (value, resolve) => {
    if (typeof value !== 'string') return opts.mode === 'guard' ? { ok: true, note: 'not a string' } : deny('url', `expected a URL string, got ${typeof value}`);
    if (value.length > MAX_URL_LENGTH) return deny('url', `a URL longer than ${MAX_URL_LENGTH} characters`);
    // Something with a scheme and `//` is a URL to any server's parser, even where WHATWG refuses it.
    const looksLikeUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trimStart());
    if (looksLikeUrl && UNSAFE_CHARS.test(value)) return deny('url', 'whitespace, a control character or a backslash in a URL (parsers disagree on these)');
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      if (looksLikeUrl) return deny('url', 'a URL that does not parse');
      return opts.mode === 'guard' ? { ok: true, note: 'not an absolute URL' } : deny('url', 'not an absolute URL');
    }
    const scheme = url.protocol.slice(0, -1).toLowerCase();
    if (schemes && !schemes.includes(scheme)) return deny('allowedSchemes', `scheme '${scheme}' is not allowed`);
    if (!url.hostname) {
      if (opts.mode === 'guard' || schemes) return { ok: true, note: `${scheme}: URL without a host` };
      return deny('url', `a ${scheme}: URL has no host to check`);
    }
    if (UNSAFE_CHARS.test(value)) return deny('url', 'whitespace, a control character or a backslash in a URL (parsers disagree on these)');
    if (url.username || url.password || /^[^?#]*\/\/[^/?#]*@/.test(value)) return deny('url', 'userinfo (user@host) in a URL');
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
    if (hosts) {
      const hit = hosts.find((h) => h.match(host));
      if (!hit) return deny('allowedHosts', `host '${host}' is not allowed`);
    }
    const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
    if (ports && (port === undefined || !ports.includes(port))) return deny('allowedPorts', `port ${port ?? '(none)'} is not allowed`);
    if (r.allowPrivateAddresses) return { ok: true, note: `${scheme}://${host}:${port ?? ''} (private addresses allowed)` };

    let addresses: string[];
    if (isIpLiteral(host)) addresses = [host];
    else {
      if (isLocalName(host)) return deny('privateAddresses', `host '${host}' is a loopback or metadata name`);
      try {
        addresses = await resolve(host);
      } catch (err) {
        return deny('privateAddresses', `host '${host}' does not resolve (${(err as Error).message}); refused`);
      }
      if (addresses.length === 0) return deny('privateAddresses', `host '${host}' resolves to nothing; refused`);
    }
    for (const a of addresses) {
      const range = nonPublicRange(a);
      if (range) return deny('privateAddresses', `host '${host}' is ${a === host ? '' : `${a}, `}a ${range} address`);
    }
    return { ok: true, note: `${scheme}://${host} resolves to ${addresses.join(', ')} (public)` };
  };
}
