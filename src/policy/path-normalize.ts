/**
 * Turning a path argument into the absolute paths a server might open.
 *
 * The gateway does not know how a server decodes its arguments, so it considers every reading a
 * server could plausibly make and the caller must pass the check under all of them:
 *
 * - the value as given, and percent-decoded (repeatedly: `%252e%252e` is `..` after two rounds;
 *   bytes that are not UTF-8, such as the overlong `%c0%ae`, decode to U+FFFD and are refused);
 * - each of those under Unicode NFC and NFKC (NFKC folds fullwidth `．．／` into `../`);
 * - `file:` URIs as the path they name; `\` as a separator (a Windows server, or a server that
 *   normalizes slashes);
 * - `~` or `~/x` as the configured home directory (refused without one: the gateway cannot know
 *   whose home a server would expand it to); relative paths against the configured root
 *   (refused without one: the gateway cannot know the server's working directory);
 * - then `.`, `..` and repeated slashes resolved (`..` never climbs above `/`).
 *
 * NUL and other control characters are refused outright: C APIs truncate at NUL, and no
 * legitimate path needs them.
 *
 * What no gateway can see is the server's disk: a symlink inside an allowed directory that points
 * outside it (CVE-2025-53109) passes every lexical check. Only the server, or a sandbox that
 * binds just the allowed directories (see the sandbox settings), can stop that.
 */
import { posix } from 'node:path';

export const MAX_PATH_LENGTH = 4096;

export type NormalizedPath = { ok: true; variants: string[] } | { ok: false; reason: string };

export interface NormalizeOptions {
  root?: string;
  home?: string;
  /**
   * Read `scheme://...` as a relative path instead of refusing it. For a guard that must know
   * whether a value could land on a protected file: a naive server resolves
   * `x://a/../.cursor/mcp.json` against its working directory like any other string.
   */
  urlsAsPaths?: boolean;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const PERCENT = /%[0-9a-fA-F]{2}/;

/** Decode `%XX` sequences as UTF-8 bytes; malformed bytes become U+FFFD instead of throwing. */
function percentDecode(s: string): string {
  if (!PERCENT.test(s)) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%' && i + 2 < s.length && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of enc.encode(String.fromCodePoint(cp))) bytes.push(b);
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes));
}

/** The raw readings: as given, and decoded once, twice, ... until stable (at most 4 rounds). */
function readings(value: string): string[] {
  const out = [value];
  let cur = value;
  for (let round = 0; round < 4; round++) {
    const next = percentDecode(cur);
    if (next === cur) break;
    out.push(next);
    cur = next;
  }
  const all = new Set<string>();
  for (const r of out) {
    all.add(r);
    all.add(r.normalize('NFC'));
    all.add(r.normalize('NFKC'));
  }
  return [...all];
}

function fromFileUri(value: string): string | { reason: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { reason: 'malformed file: URI' };
  }
  if (url.hostname !== '' && url.hostname !== 'localhost') return { reason: `file: URI names a remote host '${url.hostname}'` };
  return url.pathname;
}

function absolute(p: string, opts: NormalizeOptions): string | { reason: string } {
  let s = p.replace(/\\/g, '/');
  if (/^file:/i.test(s)) {
    const f = fromFileUri(s);
    if (typeof f !== 'string') return f;
    s = percentDecode(f);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !opts.urlsAsPaths) {
    return { reason: 'a URL where a path is expected' };
  }
  if (s.startsWith('~')) {
    if (s !== '~' && !s.startsWith('~/')) return { reason: '`~user` paths cannot be resolved by the gateway' };
    if (!opts.home) return { reason: '`~` cannot be resolved: the rule has no `home`' };
    s = opts.home + s.slice(1);
  }
  if (!s.startsWith('/')) {
    if (!opts.root) return { reason: 'a relative path and the rule has no `root`' };
    s = `${opts.root}/${s}`;
  }
  return posix.resolve('/', s);
}

export function normalizePath(value: unknown, opts: NormalizeOptions = {}): NormalizedPath {
  if (typeof value !== 'string') return { ok: false, reason: `expected a string path, got ${value === null ? 'null' : typeof value}` };
  if (value.length === 0) return { ok: false, reason: 'an empty path' };
  if (value.length > MAX_PATH_LENGTH) return { ok: false, reason: `a path longer than ${MAX_PATH_LENGTH} characters` };
  const variants = new Set<string>();
  for (const r of readings(value)) {
    if (CONTROL.test(r)) return { ok: false, reason: 'a control character (NUL, newline, ...) in a path' };
    if (r.includes('\ufffd')) return { ok: false, reason: 'percent-encoded bytes that are not UTF-8 (e.g. overlong %c0%ae)' };
    const a = absolute(r, opts);
    if (typeof a !== 'string') return { ok: false, reason: a.reason };
    variants.add(a);
  }
  return { ok: true, variants: [...variants] };
}
