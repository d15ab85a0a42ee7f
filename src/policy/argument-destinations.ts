/**
 * Where a tool call could send its server: the URLs and hosts among its argument values, for the
 * private-address guard (SSRF). Looking at top-level names only let `{request: {url}}`,
 * `{requests: [{url}]}`, `{host: "127.0.0.1"}` and `{page: "localhost:8080"}` reach loopback.
 *
 * Every string leaf (argument-leaves.ts) is read, wherever it sits:
 *
 * 1. As a URL, when the WHATWG parser (what fetch() uses) reads it as one with a host, or it
 *    begins with `scheme://`. Two readings are checked: its first word as written (the parser
 *    differentials — backslash, userinfo — are refused on it), and the host the WHATWG parser
 *    finds in the whole value (it drops tabs and newlines: `http://a.com\t@127.0.0.1/` is
 *    127.0.0.1 to fetch()). Text that merely starts with a URL is judged by that URL. Schemes
 *    other than http(s), ws(s) and ftp are judged only when their host is an IP literal or a
 *    local name (`redis://127.0.0.1` is; `s3://bucket` names a bucket, not a machine).
 *    Under a name that says URL (`url`, `endpoint`, `format: uri`, ...) the whole value goes to
 *    the guard as it always did.
 * 2. As a host (`host[:port][/path]`, judged as `http://<value>`):
 *    - under any name: an IPv4 dotted quad (in any of WHATWG's numeric spellings), an IPv6
 *      literal, `localhost`, `*.localhost`, or a metadata name with a dot;
 *    - under a name whose last word says URL or is page, server, site, address or origin: also
 *      `name:port` (a name without a port there is usually a page or a label, not a machine);
 *    - under a name whose last word is host, hostname, domain, ip or addr (or a plural): any
 *      value, a bare name (resolved) or a number (`2130706433`) included; a value that is not a
 *      host at all is refused.
 *
 * Not destinations: text without a URL at its start, relative references, ids, version strings
 * of fewer than four parts, `scheme:` values without a host. Strings holding JSON are not
 * parsed. Name-only values outside host names (`page: "127.0.0.1.nip.io"`) are not resolved:
 * a rule's `allowedHosts`, or the sandbox's egress allowlist, covers what names alone cannot.
 */
import { isIP, isIPv6 } from 'node:net';
import { wordsOf } from './argument-inference.ts';
import { isUnderAny, pointerOf, type Leaf } from './argument-leaves.ts';
import { isLocalName } from './url-constraint.ts';
import { boundedMemo } from '../util/bounded-memo.ts';

/** More distinct destinations than this in one call is refused (each may cost a DNS lookup). */
export const MAX_DESTINATIONS = 64;

const URL_WORDS = new Set(['url', 'urls', 'uri', 'uris', 'endpoint', 'endpoints', 'href', 'link', 'links']);
const HOST_WORDS = new Set(['host', 'hosts', 'hostname', 'hostnames', 'domain', 'domains', 'ip', 'ips', 'addr', 'addrs']);
const MAYBE_HOST_WORDS = new Set(['page', 'pages', 'server', 'servers', 'site', 'sites', 'address', 'addresses', 'origin', 'origins']);
/** WHATWG's special schemes that name a machine to connect to. */
const FETCHED_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:']);

const SCHEME_SLASHES = /^[a-z][a-z0-9+.-]*:\/\//i;
/** Could WHATWG read a scheme here? (It skips leading controls and spaces and drops tabs and newlines.) */
const SCHEME_START = /^[\u0000-\u0020]*[a-z][a-z0-9+.\-\t\n\r]*:/i;
const FIRST_WORD = /^[^\u0000-\u0020\u007f]*/;
/** `host[:port][/path?#]`: a bracketed IPv6 literal or a run without separators, userinfo or backslash. */
const HOST_SHAPE = /^(\[[0-9a-f:.]+\]|[^\s/?#:@\\[\]]+)(?::(\d{1,5}))?(?:[/?#][^]*)?$/i;
/** What could be `host[:port]`: everything up to the first whitespace or path separator. */
const HOST_HEAD = /^[^\s/?#]*/;
/** Four dot-separated numbers, decimal, octal or hex: how an IPv4 address is written. */
const IPV4_QUAD = /^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){3}$/i;

type KeyKind = 'url' | 'host' | 'maybe-host' | 'other';

export interface Destination {
  /** The argument it came from (`requests[0].url`), for the audit record. */
  argument: string;
  /** What the guard checks. */
  url: string;
}

export type Destinations = { ok: true; list: Destination[] } | { ok: false; argument: string; reason: string };

/** What a property name says its value is (by its last word); memoized like kindOfName (bounded, emptied when full). */
const kindOfKey = boundedMemo((key): KeyKind => {
  const words = wordsOf(key);
  const last = words[words.length - 1] ?? '';
  return URL_WORDS.has(last) ? 'url' : HOST_WORDS.has(last) ? 'host' : MAYBE_HOST_WORDS.has(last) ? 'maybe-host' : 'other';
});
const keyKind = (key: string | undefined): KeyKind => (key === undefined ? 'other' : kindOfKey(key));

/** An IP literal or a local name once WHATWG's http parser has canonicalized it (`0x7f.1` is 127.0.0.1). */
function isAddressOrLocal(hostname: string): boolean {
  let canon = hostname;
  try {
    canon = new URL(`http://${hostname}/`).hostname;
  } catch {
    /* judged as written */
  }
  canon = canon.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(canon) !== 0 || isLocalName(canon.replace(/\.$/, ''));
}

/** The URL readings of a value, or undefined when it is not a URL with a host. */
function urlReadings(s: string): string[] | undefined {
  if (!SCHEME_START.test(s)) return undefined;
  const t = s.replace(/^[\u0000-\u0020]+/, '');
  const first = SCHEME_SLASHES.test(t) ? FIRST_WORD.exec(t)![0] : undefined;
  let whole: URL | undefined;
  try {
    whole = new URL(s);
  } catch {
    /* not one URL */
  }
  if (first === undefined && !whole?.hostname) return undefined;
  const out: string[] = [];
  let firstAuthority: string | undefined;
  if (first !== undefined) {
    let p: URL | undefined;
    try {
      p = new URL(first);
    } catch {
      /* a `scheme://` that does not parse: the guard refuses it */
    }
    if (!p) out.push(first);
    else if (p.hostname && (FETCHED_SCHEMES.has(p.protocol) || isAddressOrLocal(p.hostname))) {
      out.push(first);
      firstAuthority = authority(p);
    }
  }
  if (whole?.hostname && (FETCHED_SCHEMES.has(whole.protocol) || isAddressOrLocal(whole.hostname))) {
    const a = authority(whole);
    if (a !== firstAuthority) out.push(a);
  }
  return out;
}

/** Scheme, userinfo, host and port only: the path does not change where a request goes. */
function authority(u: URL): string {
  const user = u.username || u.password ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  return `${FETCHED_SCHEMES.has(u.protocol) ? u.protocol : 'http:'}//${user}${u.host}/`;
}

/** Could this start with an address literal or a local name (`[`, a digit, localhost, metadata.)? */
function mayBeLiteral(t: string): boolean {
  const c = t.charCodeAt(0);
  return c === 0x5b || (c >= 0x30 && c <= 0x39) || /localhost|^(?:metadata|instance-data)\./i.test(t);
}

/** The value read as `host[:port][/path]`, when this kind of name makes it one. */
function hostReading(s: string, kind: KeyKind): string[] {
  if (kind !== 'host') {
    // Cheap refusals first, on the would-be `host[:port]` only (a long text is not copied): most
    // values are words and sentences, not addresses.
    const start = s.search(/\S/);
    if (start < 0) return [];
    const head = HOST_HEAD.exec(s.slice(start, start + 300))![0];
    if (!mayBeLiteral(head) && !head.includes(':')) return []; // a port, or a bare IPv6 literal
  }
  const t = s.trim();
  if (!t) return [];
  // The longest IPv6 text (with an IPv4 tail and a zone) is well under 100 characters.
  if (t.length < 100 && t.includes(':') && isIPv6(t) && (kind === 'host' || /[0-9a-f]/i.test(t))) return [`http://[${t}]/`];
  // A host name's value is a host: whatever it holds is judged, and refused when it is none.
  if (kind === 'host') return [`http://${t}`];
  const m = HOST_SHAPE.exec(t);
  if (!m) return [];
  const h = m[1].toLowerCase().replace(/\.$/, '');
  const literal = h.startsWith('[') || IPV4_QUAD.test(h) || h === 'localhost' || h.endsWith('.localhost') || (h.includes('.') && isLocalName(h));
  if (!literal && !((kind === 'maybe-host' || kind === 'url') && m[2] !== undefined)) return [];
  try {
    new URL(`http://${t}`);
  } catch {
    return []; // `1.2.3.400` is a version string, not an address
  }
  return [`http://${t}`];
}

function readingsOf(s: string, kind: KeyKind): string[] {
  if (kind === 'url') return SCHEME_SLASHES.test(s.trimStart()) ? [s] : [s, ...hostReading(s, 'url')];
  return urlReadings(s) ?? hostReading(s, kind);
}

export interface DestinationOptions {
  /** Top-level arguments the tool's schema says are URLs (`format: uri`). */
  urlArguments: readonly string[];
  /** Arguments a rule's own URL constraint already checked. */
  covered: readonly string[];
}

export function destinationsOf(leaves: readonly Leaf[], opts: DestinationOptions): Destinations {
  const list: Destination[] = [];
  const seen = new Set<string>();
  for (const leaf of leaves) {
    const v = leaf.value;
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    if (isUnderAny(leaf, opts.covered)) continue;
    const kind = isUnderAny(leaf, opts.urlArguments) ? 'url' : keyKind(leaf.key);
    const s = typeof v === 'string' ? v : kind === 'host' ? String(v) : undefined;
    if (s === undefined) continue;
    for (const url of readingsOf(s, kind)) {
      if (seen.has(url)) continue;
      seen.add(url);
      const argument = pointerOf(leaf);
      list.push({ argument, url });
      if (list.length > MAX_DESTINATIONS) return { ok: false, argument, reason: `more than ${MAX_DESTINATIONS} URLs or hosts in one call; refused rather than partly checked` };
    }
  }
  return { ok: true, list };
}
