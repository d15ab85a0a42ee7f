/**
 * The other ways a string can spell a secret, for the DLP scan (dlp.ts): an injected agent told
 * to "send the key, but base64 it" (or reverse it, or put a zero-width space in it) gets past a
 * scan of the surface. Each view is a text to scan plus a map from its offsets back to the
 * original string, so a finding in a view redacts the original characters that spelled it.
 *
 * - `surface`: invisible characters dropped (zero-width, bidi, soft hyphen, variation selectors),
 *   tag characters read as the ASCII they mirror, fullwidth / mathematical / circled letters
 *   folded (NFKC), `%XX` runs, `\xNN` and `\uXXXX` escapes and HTML character references
 *   decoded, in windows around each rewrite. Built only when the DLP set pass saw such a character.
 * - `base64` and `hex`: each run of the surface text that decodes to text a token could be made
 *   of (digests and binary are dropped); a finding in it redacts the whole encoded run.
 * - `reversed`: the neighbourhood of a reversed token prefix (`REVERSED_ANCHOR`, in the DLP set
 *   pass) in any of the above, read backwards.
 *
 * Bounded like the injection decoder: at most MAX_DECODED characters of decoded text per string,
 * at most 32 runs; every pass is linear.
 */
import { isUtf8 } from 'node:buffer';
import RE2 from 're2';
import { BASE64_MIN, base64Runs, entityText, hexDecoded, hitWindows } from './decode.ts';

export interface SecretView {
  /** How the secret was spelled, for the audit record. */
  how: 'surface' | 'base64' | 'hex' | 'reversed';
  text: string;
  /** Offsets in `text` → offsets in the original string (a span covering what produced them). */
  map: (start: number, end: number) => [number, number];
}

/** Decoded text allowed per scanned string, across its views. */
const MAX_DECODED = 64 * 1024;
const MAX_RUNS = 32;

/** Token prefixes, reversed for the DLP set pass: a hit there means "read this string backwards too". */
const PREFIXES = [
  'AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'A3T', 'ABSK', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_',
  'github_pat_', 'glpat-', 'xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxo-', 'xoxe', 'xoxs-', 'xapp-', 'npm_', 'sk_live_',
  'sk_test_', 'rk_live_', 'rk_test_', 'sk-ant-', 'T3BlbkFJ', 'hf_', 'dckr_pat_', 'SG.', 'glsa_', 'glc_', 'AIza', 'GOCSPX-',
  'PRIVATE KEY', 'hooks.slack.com', 'eyJ', 'shpat_', 'shpss_', 'hvs.', 'figd_', 'lin_api_', 'gsk_', 'ntn_',
  'tskey-', 'vcp_', 'cfut_', 'whsec_', 'pypi-', 'AGE-SECRET-KEY', 'dop_v1_', 'ops_ey', '://', 'ccess_key', 'CCESS_KEY',
  'assword', 'ASSWORD', 'AccountKey=',
];
const reSource = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
export const REVERSED_ANCHOR = PREFIXES.map((p) => reSource([...p].reverse().join(''))).join('|');

/**
 * What `surface` rewrites, in RE2 (it runs on untrusted text: linear time whatever the input).
 * Tag characters are U+E0000–E007F, variation selectors supplement U+E0100–E01EF, mathematical
 * alphanumerics U+1D400–1D7FF, enclosed alphanumeric supplement U+1F100–1F1FF. The outer group
 * captures the whole match, so that one `split` call yields every match of a stretch of text.
 *
 * Run only over the stretches where a rewrite can begin (`surfaceLead`, found by native searches
 * in ASCII text): an RE2 scan of a whole large text costs several times what V8's engine did, and
 * each call into RE2 costs microseconds, so the calls are one per stretch, not one per match.
 */
const SURFACE = new RE2(
  '(' +
    [
      String.raw`(?:%[0-9A-Fa-f]{2})+`,
      String.raw`(?:\\x[0-9A-Fa-f]{2})+`,
      String.raw`(?:\\u[0-9A-Fa-f]{4})+`,
      String.raw`&(?:#[xX]([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|([A-Za-z][A-Za-z0-9]{1,7}));`,
      String.raw`[\x{00ad}\x{034f}\x{061c}\x{115f}\x{1160}\x{17b4}\x{17b5}\x{180b}-\x{180f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{206f}\x{3164}\x{fe00}-\x{fe0f}\x{feff}\x{ffa0}]+`,
      String.raw`[\x{ff01}-\x{ff5e}\x{2460}-\x{24ff}]+`,
      String.raw`[\x{e0000}-\x{e007f}\x{e0100}-\x{e01ef}\x{1d400}-\x{1d7ff}\x{1f100}-\x{1f1ff}]+`,
    ].join('|') +
    ')',
  'gu',
);
/** A stretch reaches this far past its last possible start; starts closer than this share one stretch. */
const STRETCH = 256;
/** Characters kept on each side of a rewrite: longer than any token the rules know. */
const CONTEXT = 256;
/** Surface text built per string at most (a text rewritten all over is read up to this much). */
const MAX_SURFACE = 1024 * 1024;
const INVISIBLE = /^[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/;

/** A view under construction: copied slices and replacements, each remembering its source span. */
class Builder {
  private parts: string[] = [];
  /** Flat quadruples: view start, source start, source end, copied (1) or replaced (0). */
  private segs: number[] = [];
  private length = 0;
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }
  copy(a: number, b: number): void {
    if (b <= a) return;
    this.parts.push(this.src.slice(a, b));
    this.segs.push(this.length, a, b, 1);
    this.length += b - a;
  }
  replace(a: number, b: number, text: string): void {
    if (!text) return;
    this.parts.push(text);
    this.segs.push(this.length, a, b, 0);
    this.length += text.length;
  }
  build(): { text: string; map: SecretView['map'] } {
    const segs = this.segs;
    const find = (pos: number) => {
      let lo = 0;
      let hi = segs.length / 4 - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (segs[mid * 4]! <= pos) lo = mid;
        else hi = mid - 1;
      }
      return lo * 4;
    };
    const map = (start: number, end: number): [number, number] => {
      const s = find(start);
      const e = find(Math.max(start, end - 1));
      const from = segs[s + 3] ? segs[s + 1]! + (start - segs[s]!) : segs[s + 1]!;
      const to = segs[e + 3] ? segs[e + 1]! + (end - 1 - segs[e]!) + 1 : segs[e + 2]!;
      return [from, Math.max(from, to)];
    };
    return { text: this.parts.join(''), map };
  }
}

/**
 * Decoded bytes that could spell a token: UTF-8 without control characters (tab and line breaks
 * aside), at least half ASCII letters and digits. Looser than the injection decoder's prose test
 * (tokens are mostly digits and punctuation); random binary of a base64 run fails it.
 */
function tokenText(buf: Buffer): string | undefined {
  if (buf.length < 8 || !isUtf8(buf)) return undefined;
  let alnum = 0;
  for (const b of buf) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) return undefined;
    if ((b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a)) alnum++;
  }
  return alnum * 2 >= buf.length ? buf.toString('utf8') : undefined;
}

function bytesOf(hex: string, step: number): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < hex.length; i += step) bytes.push(parseInt(hex.slice(i + step - 2, i + step), 16));
  return tokenText(Buffer.from(bytes)) ?? (bytes.length < 12 ? Buffer.from(bytes).toString('latin1') : undefined);
}

function fold(run: string): string {
  let out = '';
  for (const ch of run) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
    else if (c >= 0xe0020 && c <= 0xe007e) out += String.fromCharCode(c - 0xe0000);
    else if (c >= 0xe0000) continue; // other tags, variation selectors supplement
    else out += ch.normalize('NFKC');
  }
  return out;
}

/** A UTF-16 unit a SURFACE match can begin with (the first unit of each alternative's characters). */
function surfaceLead(c: number): boolean {
  if (c < 0xad) return c === 0x25 || c === 0x26 || c === 0x5c;
  return (
    c === 0xad || c === 0x34f || c === 0x61c || c === 0x115f || c === 0x1160 || c === 0x17b4 || c === 0x17b5 || (c >= 0x180b && c <= 0x180f) ||
    (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || (c >= 0x2460 && c <= 0x24ff) ||
    c === 0x3164 || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xfeff || c === 0xffa0 || (c >= 0xff01 && c <= 0xff5e) ||
    c === 0xdb40 || c === 0xd835 || c === 0xd83c
  );
}

/** Where the next possible rewrite begins at or after `from` (-1: none); native searches for ASCII text. */
function leads(text: string): (from: number) => number {
  if (Buffer.byteLength(text) !== text.length) {
    return (from) => {
      for (let i = from; i < text.length; i++) if (surfaceLead(text.charCodeAt(i))) return i;
      return -1;
    };
  }
  const chars = ['%', '&', '\\'];
  const next = [-2, -2, -2]; // -2: not searched yet
  return (from) => {
    let best = -1;
    for (let k = 0; k < 3; k++) {
      if (next[k] !== -1 && next[k]! < from) next[k] = text.indexOf(chars[k]!, from);
      if (next[k] !== -1 && (best === -1 || next[k]! < best)) best = next[k]!;
    }
    return best;
  };
}

interface SurfaceMatch {
  /** Offset in the whole text (UTF-16 units). */
  index: number;
  0: string;
  1?: string;
  2?: string;
  3?: string;
}

const group = (g: string | null | undefined): string | undefined => g ?? undefined;

/** SURFACE's matches in `text`, in order, as one global scan of the whole text would find them. */
function* surfaceMatches(text: string): Generator<SurfaceMatch> {
  const lead = leads(text);
  for (let start = lead(0); start !== -1; ) {
    let end = Math.min(text.length, start + STRETCH);
    for (let n = lead(start + 1); n !== -1 && n < end; n = lead(n + 1)) end = Math.min(text.length, n + STRETCH);
    let parts: Array<string | null | undefined>;
    for (;;) {
      parts = text.slice(start, end).split(SURFACE);
      // A match within 6 characters of the stretch's end (a `\uXXXX` is 6) may go on past it.
      const tail = parts[parts.length - 1]!.length;
      if (end === text.length || parts.length === 1 || tail >= 6) break;
      end = Math.min(text.length, end + STRETCH);
    }
    // [gap, match, group 1, group 2, group 3, gap, match, ...]
    let at = start;
    for (let k = 0; k + 5 < parts.length + 1 && k + 1 < parts.length; k += 5) {
      at += parts[k]!.length;
      const whole = parts[k + 1]!;
      yield { index: at, 0: whole, 1: group(parts[k + 2]), 2: group(parts[k + 3]), 3: group(parts[k + 4]) };
      at += whole.length;
    }
    start = lead(end);
  }
}

/** What one SURFACE match stands for; undefined when it is to be kept as written. */
function rewrite(m: SurfaceMatch): string | undefined {
  const run = m[0];
  const c = run.charCodeAt(0);
  if (c === 0x25) {
    try {
      return decodeURIComponent(run);
    } catch {
      return bytesOf(run, 3);
    }
  }
  if (c === 0x5c) return run[1] === 'x' ? bytesOf(run, 4) : run.replace(/\\u([0-9A-Fa-f]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  if (c === 0x26) return entityText(m[1], m[2], m[3]);
  return INVISIBLE.test(run) ? '' : fold(run);
}

/**
 * The neighbourhoods of what `surface` rewrites, rewritten: one view per window of CONTEXT
 * characters around each rewrite (windows that touch are merged), so a large text with one `%20`
 * in it adds a few hundred characters to scan, not a second copy of itself.
 */
function surfaceViews(text: string): SecretView[] {
  const out: SecretView[] = [];
  let b: Builder | undefined;
  let last = 0;
  let windowEnd = 0;
  let total = 0;
  const flush = () => {
    if (!b) return;
    b.copy(last, windowEnd);
    out.push({ how: 'surface', ...b.build() });
    b = undefined;
  };
  for (const m of surfaceMatches(text)) {
    const r = rewrite(m);
    if (r === undefined || r === m[0]) continue;
    const a = m.index;
    if (!b || a - CONTEXT > windowEnd) {
      flush();
      if (total > MAX_SURFACE) break;
      b = new Builder(text);
      last = Math.max(0, a - CONTEXT);
    }
    b.copy(last, a);
    b.replace(a, a + m[0].length, r);
    last = a + m[0].length;
    total += last - a + CONTEXT;
    windowEnd = Math.min(text.length, last + CONTEXT);
  }
  flush();
  return out;
}

/**
 * RE2 sources for the DLP set pass, which decides whether a string has views at all: a character
 * `surface` may rewrite, a run long enough to be base64 or hex (BASE64_MIN).
 */
export const SURFACE_SOURCE = String.raw`[%\\&\x{00ad}\x{034f}\x{061c}\x{115f}\x{1160}\x{17b4}\x{17b5}\x{180b}-\x{180f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{206f}\x{3164}\x{fe00}-\x{fe0f}\x{feff}\x{ffa0}\x{ff01}-\x{ff5e}\x{2460}-\x{24ff}\x{e0000}-\x{e01ef}\x{1d400}-\x{1d7ff}\x{1f100}-\x{1f1ff}]`;
export const RUN_SOURCE = `[A-Za-z0-9+/_-]{${BASE64_MIN}}`;

/**
 * The views of one string worth scanning besides the string itself (never the string itself):
 * `surface` when it has a character SURFACE_SOURCE matches, decoded runs when it has a run.
 */
export function secretViews(text: string, has: { surface: boolean; runs: boolean }): SecretView[] {
  const out = has.surface ? surfaceViews(text) : [];
  let budget = MAX_DECODED;
  const identity = (s: number, e: number): [number, number] => [s, e];
  for (const base of has.runs ? [{ text, map: identity }, ...out] : out) {
    const runs = base64Runs(base.text, MAX_RUNS);
    const add = (how: 'base64' | 'hex', start: number, end: number, decoded: string) => {
      if (budget <= 0) return;
      const t = decoded.length > budget ? decoded.slice(0, budget) : decoded;
      budget -= t.length;
      const span = base.map(start, end);
      out.push({ how, text: t, map: () => span });
    };
    for (const [start, end] of runs) {
      const run = base.text.slice(start, end);
      if (!/[A-Z]/.test(run) || !/[a-z0-9]/.test(run)) continue; // hex and identifiers: below
      const decoded = tokenText(Buffer.from(run.length > MAX_DECODED ? run.slice(0, MAX_DECODED) : run, 'base64'));
      if (decoded !== undefined) add('base64', start, end, decoded);
    }
    for (const h of hexDecoded(base.text, runs, tokenText)) add('hex', h.start, h.end, h.text);
  }
  return out;
}

/** The reversed prefixes, located (literals only: linear). */
const REVERSED_RE = new RegExp(REVERSED_ANCHOR, 'g');
/**
 * Characters read backwards on each side of a reversed prefix: enough for a 4096-bit PEM key's
 * body to lie in one window with both armour lines. At most 8 windows of 64 KiB per text.
 */
const REVERSED_CONTEXT = 4096;

/**
 * `text` read backwards around each reversed token prefix in it (REVERSED_CONTEXT characters on
 * each side; UTF-16 units, tokens are ASCII), mapped through `map` to the original string.
 */
export function reversedViews(text: string, map: SecretView['map']): SecretView[] {
  const out: SecretView[] = [];
  for (const [a, b] of hitWindows(text, REVERSED_RE, { minHits: 1, radius: REVERSED_CONTEXT, maxWindows: 8, maxLength: 64 * 1024 })) {
    let r = '';
    for (let i = b - 1; i >= a; i--) r += text[i];
    out.push({ how: 'reversed', text: r, map: (s, e) => map(b - e, b - s) });
  }
  return out;
}
