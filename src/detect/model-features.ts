/**
 * The detection model's features (src/detect/model.ts), hashed — the ONE implementation: the
 * training script (scripts/detect-data/dump-features.ts → scripts/detect-train.py) gets its
 * features from this file, so training and inference cannot drift apart.
 *
 * Input: normalized text (normalize.ts: lowercased, invisible characters stripped, homoglyphs
 * folded, encodings decoded). Features:
 * - word unigrams and bigrams (a word: a run of letters/digits/_; any other non-space character
 *   is a one-character word, so `<important>`, `![`, `](` and `{{` are seen);
 * - character 3-, 4- and 5-grams of the text with whitespace runs as one space.
 * Each feature is hashed (FNV-1a 32-bit, then the murmur3 finalizer to spread the bits; not
 * cryptographic and not meant to be) into 2^DIM_BITS buckets with a sign bit (signed feature
 * hashing: collisions cancel out instead of piling up). A text's vector is the signed counts
 * divided by the square root of the number of features, so long and short texts are comparable.
 */
export const DIM_BITS = 18;
export const DIM = 1 << DIM_BITS;
const MASK = DIM - 1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x9e3779b1;
const BIGRAM_SEED = 0x85ebca6b;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000;
/** Letters, digits, underscore; any non-ASCII non-space code unit counts as a letter. */
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || (c >= 65 && c <= 90) || (c > 127 && !isSpace(c));

/**
 * Calls `emit(index, sign)` once per feature occurrence of `text` (normalized) and returns the
 * number of occurrences. Linear in the text; no allocation per feature.
 */
export function forEachFeature(text: string, emit: (index: number, sign: number) => void): number {
  let n = 0;
  const put = (h: number) => {
    const m = fmix(h);
    emit(m & MASK, m & 0x80000000 ? -1 : 1);
    n++;
  };
  // Words and bigrams.
  let prev = 0;
  let hasPrev = false;
  const len = text.length;
  for (let i = 0; i < len; ) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    let h = (FNV_OFFSET ^ WORD_SEED) >>> 0;
    if (isWordChar(c)) {
      while (i < len && isWordChar(text.charCodeAt(i))) h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
    } else h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
    put(h);
    if (hasPrev) put(Math.imul(Math.imul(BIGRAM_SEED ^ prev, FNV_PRIME) ^ h, FNV_PRIME));
    prev = h;
    hasPrev = true;
  }
  // Character 3..5-grams over the text with whitespace runs as one space.
  const codes = new Uint16Array(len);
  let m = 0;
  let space = true;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (!space) codes[m++] = 32;
      space = true;
    } else {
      codes[m++] = c;
      space = false;
    }
  }
  for (let i = 0; i + 3 <= m; i++) {
    let h = Math.imul(FNV_OFFSET ^ codes[i]!, FNV_PRIME);
    h = Math.imul(h ^ codes[i + 1]!, FNV_PRIME);
    h = Math.imul(h ^ codes[i + 2]!, FNV_PRIME);
    put(h ^ 3);
    if (i + 4 > m) continue;
    h = Math.imul(h ^ codes[i + 3]!, FNV_PRIME);
    put(h ^ 4);
    if (i + 5 > m) continue;
    h = Math.imul(h ^ codes[i + 4]!, FNV_PRIME);
    put(h ^ 5);
  }
  return n;
}

/** The sparse vector (index → value) of a text, as the training script reads it. */
export function featureVector(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  const n = forEachFeature(text, (i, s) => counts.set(i, (counts.get(i) ?? 0) + s));
  const scale = n ? 1 / Math.sqrt(n) : 0;
  for (const [i, v] of counts) counts.set(i, v * scale);
  return counts;
}
