/**
 * Text as the model will read it, for detectors that match words.
 *
 * Order, and why: (1) invisible characters first, because tag characters and variation
 * selectors carry text that must be decoded before anything else looks at it, and zero-width
 * characters split keywords; (2) encodings are decoded from that text before case folding
 * (base64 is case-sensitive), each decoded layer normalized the same way, at most MAX_DEPTH deep;
 * (3) NFKC folds fullwidth, mathematical and circled letters to ASCII; (4) lowercase; (5)
 * confusables fold Cyrillic/Greek look-alikes inside words that mix them with Latin letters;
 * (6) whitespace collapses (a newline run stays one newline so line-start rules still work);
 * (7) re-spellings are appended: letter-spaced, leetspeak and reversed text read forwards.
 *
 * Fast path: a single char-code scan; plain ASCII with no %, & or base64-looking run only pays
 * for the surface pass (lowercase, escapes, emphasis, whitespace) and two cheap regex checks for
 * letter-spaced and leetspeak text (appended re-spelled when found). Every step is linear in the input; decoding is
 * bounded by a per-message budget.
 */
import type { Finding } from './finding.ts';
import { CONFUSABLES } from './confusables.ts';
import { stripInvisible } from './invisible.ts';
import { BASE64_MIN, decodeLayer, hitWindows, isBase64Char, type DecodeBudget } from './decode.ts';

export interface Normalized {
  /** Lowercased, folded, whitespace-collapsed text; decoded layers appended after a newline. */
  text: string;
  /** True when anything beyond case and whitespace changed: stripped, folded, decoded. */
  changed: boolean;
  /** `obfuscation` findings: invisible characters, smuggled text, homoglyphs, encoded blobs. */
  hidden: Finding[];
}

/** Decoded text allowed per normalized string, across all layers. */
export const MAX_DECODED_CHARS = 64 * 1024;
/** Layers of encoding unwrapped: base64 of percent-encoding is two. */
const MAX_DEPTH = 2;
const LAYER_SEPARATOR = '\n';

/** What a string is, for the paths below: anything else, printable ASCII with nothing to decode, or printable ASCII to decode. */
const OTHER = 0;
const PLAIN = 1;
const ASCII_TO_DECODE = 2;

/** Printable ASCII (plus tab/newline/CR), and whether it holds %, & or a base64-alphabet run to decode. */
function kindOf(s: string): number {
  let run = 0; // current run of base64-alphabet characters
  let decode = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) return OTHER;
    if (decode) continue;
    run = isBase64Char(c) ? run + 1 : 0;
    decode = c === 0x25 || c === 0x26 || run >= BASE64_MIN;
  }
  return decode ? ASCII_TO_DECODE : PLAIN;
}

/**
 * Horizontal whitespace that is not a lone space: a space followed by more, or any other blank
 * (a lone space, the common case, is never matched, so prose costs a scan, not a replacement).
 */
const HSPACE = / [ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+|[\t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000][ \t\r\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]*/g;
/** A newline with blanks around it or more newlines after it (a lone newline is not matched). */
const NEWLINE_RUN = / \n\s*|\n\s+/g;
function collapseWhitespace(s: string): string {
  return s.replace(HSPACE, ' ').replace(NEWLINE_RUN, '\n').trim();
}

/**
 * The surface the rules read, for every string (fast path included), from lowercased text: typographic
 * dashes and quotes as ASCII (rules separate words with ASCII punctuation); JSON/C escapes
 * `\n` `\t` read as the whitespace they stand for (a tool result is often JSON text); markdown
 * emphasis markers at word edges removed (`**ignore** _all_` reads "ignore all"; `send_email`
 * keeps its underscore); whitespace collapsed.
 */
function surface(lower: string): string {
  let t = lower;
  if (/[\u2010-\u2026]/.test(t)) t = t.replace(/[\u2010-\u2015]/g, '-').replace(/[\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"').replace(/\u2026/g, '...');
  if (t.indexOf('\\') >= 0) t = t.replace(/\\n/g, '\n').replace(/\\[rt]/g, ' ');
  if (/[*_]/.test(t)) t = t.replace(/(?<![\p{L}\p{N}])[*_]+|[*_]+(?![\p{L}\p{N}])/gu, '');
  return collapseWhitespace(t);
}

/** "i g n o r e   a l l": single letters joined, double spaces become the word breaks. */
const SPACED_RUN = /\b[a-z] [a-z] [a-z] [a-z] [a-z] [a-z] /;
function unspace(lower: string): string | undefined {
  if (!SPACED_RUN.test(lower)) return undefined;
  return collapseWhitespace(lower.replace(/ {2,}/g, '\u0001').replace(/\b([a-z]) (?=[a-z]\b)/g, '$1').replace(/\u0001/g, ' '));
}

/**
 * "1gn0r3 4ll pr3v10us": three digits between letters close together read as leetspeak. Only
 * those neighbourhoods are re-spelled (hashes and base64 make harmless extra windows), so a large
 * text costs one regex pass.
 */
const LEET_HINT = /[a-z][01345@$7][a-z]/g;
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };
const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);
/** The hit sits in a word of at most 12 chars (not in a hash or a base64 run). */
function shortWord(text: string, i: number): boolean {
  let a = i;
  while (a > 0 && i - a < 13 && isAlnum(text.charCodeAt(a - 1))) a--;
  let b = i + 3;
  while (b < text.length && b - a < 13 && isAlnum(text.charCodeAt(b))) b++;
  return b - a <= 12;
}
function unleet(text: string): string | undefined {
  const windows = hitWindows(text, LEET_HINT, { minHits: 3, radius: 80, maxWindows: 8, maxLength: 1024, keep: (i) => shortWord(text, i) });
  if (windows.length === 0) return undefined;
  return windows
    .map(([a, b]) => text.slice(a, b).replace(/[a-z0-9@$]*[a-z][a-z0-9@$]*/g, (tok) => (/[01345@$7]/.test(tok) ? tok.replace(/[01345@$7]/g, (c) => LEET[c]) : tok)))
    .join('\n');
}

/**
 * ".snoitcurtsni suoiverp lla erongi": text written backwards, which a model reads back gladly.
 * Keywords of the rules spelled backwards (no English word contains them) decide whether the
 * reversed text is appended; one native scan otherwise.
 */
const REVERSED_HINT = /erongi|dragersid|tegrof |suoiverp|snoitcurtsni|snoitcirtser|tpmorp metsys|tnatsissa|resu eht|won morf|drowssap|slaitnederc|yek ipa/;
function unreverse(text: string): string | undefined {
  if (!REVERSED_HINT.test(text)) return undefined;
  let out = '';
  for (let i = text.length - 1; i >= 0; i--) out += text[i];
  return out;
}

/** Cheap re-spellings appended as layers (they never replace the text itself). */
function respellings(lowerRaw: string, surfaced: string): string[] {
  const out: string[] = [];
  const spaced = unspace(lowerRaw);
  if (spaced !== undefined) out.push(spaced);
  const leet = unleet(surfaced);
  if (leet !== undefined) out.push(leet);
  const reversed = unreverse(surfaced);
  if (reversed !== undefined) out.push(reversed);
  return out;
}

const NON_ASCII = /[^\x00-\x7f]/g;
const LETTER = /[\p{L}\p{M}]/u;
/** LETTER for one UTF-16 unit, without a regex call for ASCII (most characters of most words). */
function isLetterAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
  return LETTER.test(s[i]!);
}

/** How to treat one word: fold it, and is it a mixed-script homoglyph? */
function foldWord(word: string): { folded: string; mixed: boolean } {
  let latin = false;
  let conf = false;
  let other = false;
  for (const ch of word) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x61 && c <= 0x7a) latin = true;
    else if (CONFUSABLES.has(c)) conf = true;
    else if (c > 0x7f && !/\p{M}/u.test(ch)) other = true;
  }
  if (!conf || (other && !latin)) return { folded: word, mixed: false };
  let out = '';
  for (const ch of word) out += CONFUSABLES.get(ch.codePointAt(0)!) ?? ch;
  return { folded: out, mixed: latin };
}

/**
 * Fold look-alikes in words that mix Latin with them ("іgnоrе"), or that consist only of
 * look-alikes; a real Cyrillic or Greek word keeps its letters (so non-Latin rules still match).
 * Only words holding a non-ASCII letter are visited (found by a native scan, each word once).
 */
function foldConfusables(s: string, hidden: Finding[]): string {
  let mixed: string | undefined;
  const parts: string[] = [];
  let last = 0;
  NON_ASCII.lastIndex = 0;
  for (let m = NON_ASCII.exec(s); m; m = NON_ASCII.exec(s)) {
    if (!LETTER.test(m[0])) continue;
    let a = m.index;
    while (a > last && isLetterAt(s, a - 1)) a--;
    let b = m.index + 1;
    while (b < s.length && isLetterAt(s, b)) b++;
    const word = foldWord(s.slice(a, b));
    if (word.mixed) mixed ??= s.slice(a, b);
    parts.push(s.slice(last, a), word.folded);
    last = b;
    NON_ASCII.lastIndex = b;
  }
  if (mixed !== undefined) {
    hidden.push({ category: 'obfuscation', rule: 'obfuscation.homoglyph', severity: 'medium', excerpt: mixed.slice(0, 40) });
  }
  if (parts.length === 0) return s;
  parts.push(s.slice(last));
  return parts.join('');
}

/** The decoded texts of `text`, each normalized in turn (one layer deeper), in order. */
function decodedLayers(text: string, depth: number, budget: DecodeBudget, hidden: Finding[]): string[] {
  const layers: string[] = [];
  if (depth < MAX_DEPTH) {
    for (const raw of decodeLayer(text, budget, hidden)) {
      const inner = normalizeLayer(raw, depth + 1, budget, hidden);
      if (inner.text) layers.push(inner.text);
    }
  }
  return layers;
}

function normalizeLayer(input: string, depth: number, budget: DecodeBudget, hidden: Finding[]): { text: string; changed: boolean } {
  const kind = kindOf(input);
  if (kind !== OTHER) {
    // Printable ASCII: no invisible character to strip, and NFKC and the confusable fold leave
    // every character as it is (so nothing but decoded layers and re-spellings can change it);
    // only the decoding is left to do, when there is something to decode.
    const layers = kind === ASCII_TO_DECODE ? decodedLayers(input, depth, budget, hidden) : [];
    const lower = input.toLowerCase();
    const text = surface(lower);
    layers.push(...respellings(lower, text));
    return layers.length ? { text: [text, ...layers].join(LAYER_SEPARATOR), changed: true } : { text, changed: false };
  }
  const stripped = stripInvisible(input);
  if (depth === 0) hidden.push(...stripped.hidden);
  else for (const f of stripped.hidden) hidden.push({ ...f, start: undefined, end: undefined });
  let changed = stripped.text !== input;

  const layers = decodedLayers(stripped.text, depth, budget, hidden);

  let text = stripped.text.normalize('NFKC');
  changed ||= text !== stripped.text;
  text = text.toLowerCase();
  const before = hidden.length;
  const folded = foldConfusables(text, hidden);
  changed ||= folded !== text || hidden.length > before;
  text = surface(folded);
  layers.push(...respellings(folded, text));
  if (layers.length > 0) {
    changed = true;
    text = [text, ...layers].join(LAYER_SEPARATOR);
  }
  return { text, changed };
}

export function normalize(text: string): Normalized {
  const hidden: Finding[] = [];
  const out = normalizeLayer(text, 0, { chars: MAX_DECODED_CHARS }, hidden);
  return { text: out.text, changed: out.changed, hidden: dedupe(hidden) };
}

/** One finding per rule: the first occurrence (the one with offsets into the original string). */
function dedupe(hidden: Finding[]): Finding[] {
  if (hidden.length < 2) return hidden;
  const seen = new Map<string, Finding>();
  for (const f of hidden) if (!seen.has(f.rule)) seen.set(f.rule, f);
  return [...seen.values()];
}
