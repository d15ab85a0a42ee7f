/**
 * Text as the model will read it, for detectors that match words.
 *
 * Order, and why: (1) invisible characters first, because tag characters and variation
 * selectors carry text that must be decoded before anything else looks at it, and zero-width
 * characters split keywords; (2) encodings are decoded from that text before case folding
 * (base64 is case-sensitive), each decoded layer normalized the same way, at most MAX_DEPTH deep;
 * (3) NFKC folds fullwidth, mathematical and circled letters to ASCII; (4) lowercase; (5)
 * confusables fold Cyrillic/Greek look-alikes inside words that mix them with Latin letters;
 * (6) whitespace collapses (a newline run stays one newline so line-start rules still work).
 *
 * Fast path: a single char-code scan; plain ASCII with no %, & or base64-looking run only pays
 * for lowercasing and whitespace collapse. Every step is linear in the input; decoding is
 * bounded by a per-message budget.
 */
import type { Finding } from './finding.ts';
import { CONFUSABLES } from './confusables.ts';
import { stripInvisible } from './invisible.ts';
import { decodeLayer, hasBase64Candidate, type DecodeBudget } from './decode.ts';

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

/** Plain printable ASCII (plus tab/newline/CR) with nothing to decode. */
function isPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7e || c === 0x25 || c === 0x26 || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d)) return false;
  }
  return !hasBase64Candidate(s);
}

function collapseWhitespace(s: string): string {
  return s.replace(/[^\S\n]+/g, ' ').replace(/ ?\n[\s]*/g, '\n').trim();
}

const WORD = /[\p{L}\p{M}]+/gu;

/**
 * Fold look-alikes in words that mix Latin with them ("іgnоrе"), or that consist only of
 * look-alikes; a real Cyrillic or Greek word keeps its letters (so non-Latin rules still match).
 */
function foldConfusables(s: string, hidden: Finding[]): string {
  let mixed: string | undefined;
  const folded = s.replace(WORD, (word) => {
    let latin = false;
    let conf = false;
    let other = false;
    for (const ch of word) {
      const c = ch.codePointAt(0)!;
      if (c >= 0x61 && c <= 0x7a) latin = true;
      else if (CONFUSABLES.has(c)) conf = true;
      else if (c > 0x7f && !/\p{M}/u.test(ch)) other = true;
    }
    if (!conf || (other && !latin)) return word;
    if (latin) mixed ??= word;
    let out = '';
    for (const ch of word) out += CONFUSABLES.get(ch.codePointAt(0)!) ?? ch;
    return out;
  });
  if (mixed !== undefined) {
    hidden.push({ category: 'obfuscation', rule: 'obfuscation.homoglyph', severity: 'medium', excerpt: mixed.slice(0, 40) });
  }
  return folded;
}

function normalizeLayer(input: string, depth: number, budget: DecodeBudget, hidden: Finding[]): { text: string; changed: boolean } {
  if (isPlain(input)) return { text: collapseWhitespace(input.toLowerCase()), changed: false };
  const stripped = stripInvisible(input);
  if (depth === 0) hidden.push(...stripped.hidden);
  else for (const f of stripped.hidden) hidden.push({ ...f, start: undefined, end: undefined });
  let changed = stripped.text !== input;

  const layers: string[] = [];
  if (depth < MAX_DEPTH) {
    for (const raw of decodeLayer(stripped.text, budget, hidden)) {
      const inner = normalizeLayer(raw, depth + 1, budget, hidden);
      if (inner.text) layers.push(inner.text);
    }
  }

  let text = stripped.text.normalize('NFKC');
  changed ||= text !== stripped.text;
  text = text.toLowerCase();
  const before = hidden.length;
  const folded = /[^\x00-\x7f]/.test(text) ? foldConfusables(text, hidden) : text;
  changed ||= folded !== text || hidden.length > before;
  text = collapseWhitespace(folded);
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
