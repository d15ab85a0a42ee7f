/**
 * Syntax-based normalization of resource URIs (RFC 3986 §6.2.2), so that a resource rule compares
 * the resource a server will read, not the way a client spelled it. Without it, a deny of
 * `demo://resource/static/document/architecture.md` is a literal string, and `DEMO://…` or
 * `…/document/./architecture.md` read the same document: the MCP SDK's McpServer parses the URI
 * with WHATWG `new URL()`, which lowercases the scheme and removes dot segments.
 *
 *   - scheme and host lowercased (§6.2.2.1: both are case-insensitive, §3.1 and §3.2.2);
 *   - percent-encoding: triplets of unreserved characters decoded (`%61` = `a`, `%2E` = `.`),
 *     the hex digits of the others uppercased (§6.2.2.2);
 *   - `.` and `..` segments removed from the path (§6.2.2.3), after decoding, so `%2e%2e` counts.
 *
 * Refused (undefined), because a parser may read them as another URI than any comparison does:
 * a `%` not followed by two hex digits, C0 controls and DEL (WHATWG parsers drop tabs and
 * newlines anywhere: `…/text/\t1` is `…/text/1` to the server), a leading or trailing space
 * (trimmed), and `\` (read as `/` in http, file and other special schemes).
 *
 * Not done: scheme-specific normalization (default ports, an empty path as `/`), IRI mapping of
 * non-ASCII characters, and anything about values a server interprets: `…/text/01`, `…/text/+1`
 * and `…/text/1` are three URIs, and whether they are one resource is the server's business.
 */

const HEX = '0123456789ABCDEFabcdef';
const isAlpha = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlnum = (c: string): boolean => isAlpha(c) || (c >= '0' && c <= '9');
/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
const isUnreserved = (c: string): boolean => isAlnum(c) || c === '-' || c === '.' || c === '_' || c === '~';
/** RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
const isSchemeChar = (c: string): boolean => isAlnum(c) || c === '+' || c === '-' || c === '.';

/** `%XX` triplets: unreserved ones decoded, others uppercased; undefined on a broken triplet. */
function normalizePercent(s: string): string | undefined {
  if (!s.includes('%')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const h = s.slice(i + 1, i + 3);
    if (h.length < 2 || !HEX.includes(h[0]) || !HEX.includes(h[1])) return undefined;
    const ch = String.fromCharCode(parseInt(h, 16));
    out += isUnreserved(ch) ? ch : `%${h.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/**
 * RFC 3986 §5.2.4 `remove_dot_segments`, segment by segment (linear): `.` is dropped, `..`
 * drops the segment before it (never above the root), and a trailing `.`/`..` leaves a `/`.
 */
function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const rooted = path.startsWith('/');
  const segs = (rooted ? path.slice(1) : path).split('/');
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const last = i === segs.length - 1;
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(seg);
  }
  return (rooted ? '/' : '') + out.join('/');
}

/** The scheme's length (before `:`), or 0 when the string does not start with one. */
function schemeLength(s: string): number {
  if (!isAlpha(s[0] ?? '')) return 0;
  for (let i = 1; i < s.length; i++) {
    if (s[i] === ':') return i;
    if (!isSchemeChar(s[i])) return 0;
  }
  return 0;
}

/** First index at or after `from` of any of `chars`, else the length. */
function indexOfAny(s: string, chars: string, from: number): number {
  for (let i = from; i < s.length; i++) if (chars.includes(s[i])) return i;
  return s.length;
}

/** The normal form of a URI (or URI pattern), or undefined when it cannot be read unambiguously. */
export function normalizeUri(uri: string): string | undefined {
  if (uri.startsWith(' ') || uri.endsWith(' ') || uri.includes('\\')) return undefined;
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
  }
  const s = normalizePercent(uri);
  if (s === undefined) return undefined;
  const n = schemeLength(s);
  let out = n ? `${s.slice(0, n).toLowerCase()}:` : '';
  let at = n ? n + 1 : 0;
  if (s.startsWith('//', at)) {
    const end = indexOfAny(s, '/?#', at + 2);
    const authority = s.slice(at + 2, end);
    // userinfo is case-sensitive; the host (and port) after the last `@` is not.
    const userEnd = authority.lastIndexOf('@') + 1;
    out += `//${authority.slice(0, userEnd)}${authority.slice(userEnd).toLowerCase()}`;
    at = end;
  }
  const pathEnd = indexOfAny(s, '?#', at);
  return out + removeDotSegments(s.slice(at, pathEnd)) + s.slice(pathEnd);
}
