/**
 * Obvious encodings decoded so their text can be scanned: base64 runs, hex runs, percent-encoding,
 * HTML character references. Attackers wrap an instruction in one layer of encoding precisely because
 * keyword rules read only the surface ("aWdub3JlIHByZXZpb3Vz..." — the model decodes it gladly).
 *
 * The decoded text is returned for appending, never substituted, so the original stays scanned.
 * Everything is bounded: a shared character budget across all layers, a cap on runs per string,
 * and the caller limits depth. Each pattern is a single character-class run (no nested
 * quantifiers), so the regex engine works in linear time on hostile input.
 */
import { isUtf8 } from 'node:buffer';
import type { Finding } from './finding.ts';

export interface DecodeBudget {
  /** Characters of decoded text still allowed for this message. */
  chars: number;
}

/** Shortest base64 run considered: 24 chars = 18 bytes, shorter than any useful instruction. */
export const BASE64_MIN = 24;
const MAX_RUNS = 32;
/** A single run is decoded up to this many chars (48 KiB of base64 → 36 KiB of text). */
const MAX_RUN_CHARS = 48 * 1024;
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
const ENTITY = /&(?:#[xX]([0-9A-Fa-f]{1,6})|#([0-9]{1,7})|([A-Za-z][A-Za-z0-9]{1,7}));/g;
const NAMED: Readonly<Record<string, string>> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', shy: '\u00ad', zwj: '\u200d', zwnj: '\u200c',
  lrm: '\u200e', rlm: '\u200f', colon: ':', sol: '/', lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', excl: '!',
  lowbar: '_', period: '.', comma: ',', commat: '@', equals: '=', plus: '+', num: '#', percnt: '%', dollar: '$',
  quest: '?', semi: ';', bsol: '\\', ast: '*', hyphen: '\u2010', dash: '\u2010', grave: '`', vert: '|',
};

/**
 * Windows of ±radius chars around the matches of a global regex (those `keep` accepts), merged
 * where they overlap up to maxLength, kept when a window holds at least minHits matches; at most
 * maxWindows. Lets a decoder work on the neighbourhood of its evidence instead of copying a whole
 * large text.
 */
export function hitWindows(
  text: string,
  re: RegExp,
  opts: { minHits: number; radius: number; maxWindows?: number; maxLength?: number; keep?: (index: number) => boolean },
): Array<[number, number]> {
  const { minHits, radius, maxWindows = 16, maxLength = 4096, keep } = opts;
  const out: Array<[number, number]> = [];
  let start = -1;
  let end = -1;
  let hits = 0;
  for (const m of text.matchAll(re)) {
    if (keep && !keep(m.index)) continue;
    const a = Math.max(0, m.index - radius);
    const b = Math.min(text.length, m.index + m[0].length + radius);
    if (start >= 0 && a <= end && b - start <= maxLength) {
      end = b;
      hits++;
      continue;
    }
    if (start >= 0 && hits >= minHits && out.push([start, end]) >= maxWindows) return out;
    start = a;
    end = b;
    hits = 1;
  }
  if (start >= 0 && hits >= minHits) out.push([start, end]);
  return out;
}

/** Mostly-printable UTF-8: binary blobs (images, hashes read as base64) are not text to scan. */
function readableText(buf: Buffer): string | undefined {
  if (buf.length < 12 || !isUtf8(buf)) return undefined;
  let control = 0;
  let letters = 0;
  for (const b of buf) {
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) control++;
    else if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) letters++;
    else if (b >= 0x80) letters++;
  }
  if (control > buf.length * 0.02 || letters < buf.length * 0.4) return undefined;
  return buf.toString('utf8');
}

/** Base64 alphabet (standard and URL-safe) as a lookup table over ASCII. */
const B64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-') B64[c.charCodeAt(0)] = 1;
export const isBase64Char = (c: number): boolean => c < 128 && B64[c] === 1;

/**
 * Runs of base64 alphabet at least BASE64_MIN long, with their `=` padding, by a char loop (a
 * regex tried at every offset of every word costs more on prose; RE2 pays an offset translation
 * per match).
 */
export function base64Runs(s: string, limit = Infinity): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const n = s.length;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && B64[c] === 1) continue;
    if (i - start >= BASE64_MIN && push(s, out, start, i) >= limit) return out;
    start = i + 1;
  }
  if (n - start >= BASE64_MIN) push(s, out, start, n);
  return out;
}

function push(s: string, out: Array<[number, number]>, start: number, i: number): number {
  let end = i;
  while (end < s.length && end - i < 2 && s.charCodeAt(end) === 0x3d) end++;
  return out.push([start, end]);
}

function take(budget: DecodeBudget, s: string): string {
  const out = s.length > budget.chars ? s.slice(0, budget.chars) : s;
  budget.chars -= out.length;
  return out;
}

function decodeBase64(text: string, runs: ReadonlyArray<[number, number]>, budget: DecodeBudget, out: string[], hidden: Finding[]): void {
  for (const [start, end] of runs) {
    if (budget.chars <= 0) return;
    let run = text.slice(start, end);
    // Base64 of prose mixes cases; identifiers, hex digests and paths mostly do not.
    if (!/[A-Z]/.test(run) || !/[a-z0-9]/.test(run)) continue;
    if (run.length > MAX_RUN_CHARS) run = run.slice(0, MAX_RUN_CHARS);
    const decoded = readableText(Buffer.from(run, 'base64'));
    if (decoded === undefined) continue;
    out.push(take(budget, decoded));
    if (!hidden.some((f) => f.rule === 'obfuscation.base64')) {
      hidden.push({ category: 'obfuscation', rule: 'obfuscation.base64', severity: 'low', start, end, excerpt: decoded.replace(/[\p{Cc}\p{Cf}]/gu, ' ').slice(0, 60) });
    }
  }
}

const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
function hexSpan(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (!isHex(s.charCodeAt(i))) return false;
  return true;
}

/**
 * Hex-encoded text (`xxd -p`, `Buffer#toString('hex')`): base64-alphabet runs (`runs`, from
 * base64Runs) made only of hex digits, joined across the line break or space `xxd -p` puts every
 * 60 digits (and its short last line), decoded when the bytes are `readable` (prose by default).
 * Digests and ids decode to binary and are dropped. Offsets are those of the digits in `text`.
 */
export function hexDecoded(
  text: string,
  runs: ReadonlyArray<[number, number]>,
  readable: (buf: Buffer) => string | undefined = readableText,
): Array<{ start: number; end: number; text: string }> {
  const out: Array<{ start: number; end: number; text: string }> = [];
  for (let i = 0; i < runs.length; i++) {
    const [a, first] = runs[i]!;
    if (!hexSpan(text, a, first)) continue;
    const parts = [text.slice(a, first)];
    let b = first;
    for (;;) {
      let c = b;
      if (text.charCodeAt(c) === 0x0d) c++;
      if (!isSpace(text.charCodeAt(c))) break;
      c++;
      let d = c;
      while (d < text.length && isHex(text.charCodeAt(d))) d++;
      if (d === c || (d < text.length && isBase64Char(text.charCodeAt(d)))) break;
      parts.push(text.slice(c, d));
      b = d;
      while (i + 1 < runs.length && runs[i + 1]![0] < b) i++;
      if (parts.length > 4096) break;
    }
    let digits = parts.join('');
    if (digits.length % 2) digits = digits.slice(0, -1);
    const decoded = readable(Buffer.from(digits.slice(0, MAX_RUN_CHARS), 'hex'));
    if (decoded !== undefined) out.push({ start: a, end: b, text: decoded });
    if (out.length >= MAX_RUNS) break;
  }
  return out;
}

function decodeHex(text: string, runs: ReadonlyArray<[number, number]>, budget: DecodeBudget, out: string[], hidden: Finding[]): void {
  for (const h of hexDecoded(text, runs)) {
    if (budget.chars <= 0) return;
    out.push(take(budget, h.text));
    if (!hidden.some((f) => f.rule === 'obfuscation.hex')) {
      hidden.push({ category: 'obfuscation', rule: 'obfuscation.hex', severity: 'low', start: h.start, end: h.end, excerpt: h.text.replace(/[\p{Cc}\p{Cf}]/gu, ' ').slice(0, 60) });
    }
  }
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/g;

/** The whitespace-delimited tokens that carry %XX escapes, decoded and joined (each token once). */
function decodePercent(text: string): string | undefined {
  if (text.indexOf('%') < 0) return undefined;
  const parts: string[] = [];
  let done = 0;
  for (const m of text.matchAll(PERCENT_ESCAPE)) {
    if (m.index < done) continue;
    let a = m.index;
    while (a > done && !isSpace(text.charCodeAt(a - 1))) a--;
    let b = m.index + 3;
    while (b < text.length && !isSpace(text.charCodeAt(b))) b++;
    done = b;
    const token = text.slice(a, b);
    const d = token.replace(PERCENT_RUN, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
    if (d !== token) parts.push(d);
    if (parts.length >= MAX_RUNS * 8) break;
  }
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** Small texts are decoded whole; in large ones only the neighbourhood of the references. */
const ENTITY_WHOLE_TEXT = 16 * 1024;

/** The character an HTML reference's groups of ENTITY stand for, if any. */
export function entityText(hex: string | undefined, dec: string | undefined, name: string | undefined): string | undefined {
  if (hex === undefined && dec === undefined) return NAMED[name!.toLowerCase()];
  const cp = hex !== undefined ? parseInt(hex, 16) : parseInt(dec!, 10);
  return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : undefined;
}

function decodeEntities(text: string): string | undefined {
  if (text.indexOf('&') < 0) return undefined;
  const ranges: Array<[number, number]> = text.length <= ENTITY_WHOLE_TEXT ? [[0, text.length]] : hitWindows(text, ENTITY, { minHits: 1, radius: 300 });
  let hits = 0;
  const parts = ranges.map(([a, b]) =>
    text.slice(a, b).replace(ENTITY, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
      const r = entityText(hex, dec, name);
      if (r === undefined) return m;
      hits++;
      return r;
    }),
  );
  return hits > 0 ? parts.join('\n') : undefined;
}

/**
 * One layer of decoding. Returns the decoded texts to append (each still raw: the caller
 * normalizes them, and may decode them once more).
 */
export function decodeLayer(text: string, budget: DecodeBudget, hidden: Finding[]): string[] {
  const out: string[] = [];
  if (budget.chars <= 0) return out;
  const runs = base64Runs(text, MAX_RUNS);
  decodeBase64(text, runs, budget, out, hidden);
  decodeHex(text, runs, budget, out, hidden);
  for (const d of [decodePercent(text), decodeEntities(text)]) if (d !== undefined && budget.chars > 0) out.push(take(budget, d));
  return out;
}
