/**
 * The detection model's features (src/detect/model.ts), hashed — the ONE implementation: the
 * training script (scripts/detect-data/dump-features.ts → scripts/detect-train.py) gets its
 * features from this file, so training and inference cannot drift apart.
 *
 * Input: normalized text (normalize.ts: lowercased, invisible characters stripped, homoglyphs
 * folded, encodings decoded). Features:
 * - word unigrams and bigrams (a word: a run of letters/digits/_; any other non-space character
 *   is a one-character word, so `<important>`, `![`, `](` and `{{` are seen);
 * - character 3-, 4- and 5-grams of the text with whitespace runs as one space;
 * - intent features (model-lexicon.ts): the class of a word in the lexicon, and each pair
 *   (earlier class, this class) met within INTENT_SPAN words, a sentence boundary (a line
 *   break, `.`, `!`, `?`, `:`, `;`) counting as a class of its own, so "sentence start → send"
 *   is the imperative.
 * A feature equal to the one just before it (same kind: a word repeated, an n-gram inside a run
 * of one character such as `xxxx` or `----`) is counted once: a run of padding must not outweigh
 * the text around it.
 * Each feature is hashed (FNV-1a 32-bit, then the murmur3 finalizer to spread the bits; not
 * cryptographic and not meant to be) into 2^DIM_BITS buckets with a sign bit (signed feature
 * hashing: collisions cancel out instead of piling up). A text's vector is the signed counts
 * divided by the square root of the number of features, so long and short texts are comparable.
 */
import { BOUNDARY_CLASS, CLASS_COUNT, lexiconEntries } from './model-lexicon.ts';

export const DIM_BITS = 18;
export const DIM = 1 << DIM_BITS;
const MASK = DIM - 1;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x9e3779b1;
const BIGRAM_SEED = 0x85ebca6b;
const CLASS_SEED = 0x27d4eb2f;
const PAIR_SEED = 0x165667b1;
/** How many words back a class still pairs with the current word's class. */
const INTENT_SPAN = 10;

/** The FNV-1a hash of a word as the word loop computes it (before the finalizer). */
function wordHash(w: string): number {
  let h = (FNV_OFFSET ^ WORD_SEED) >>> 0;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), FNV_PRIME);
  return h;
}
const LEXICON = new Map<number, number>(lexiconEntries().map(([w, c]) => [wordHash(w), c]));
/** Word index at which each class was last seen (reused; reset per text). */
const lastSeen = new Int32Array(CLASS_COUNT);
const classHash = new Int32Array(CLASS_COUNT).map((_, c) => fmix(Math.imul(CLASS_SEED ^ c, FNV_PRIME)));
const pairHash = new Int32Array(CLASS_COUNT * CLASS_COUNT).map((_, k) => fmix(Math.imul(Math.imul(PAIR_SEED ^ Math.floor(k / CLASS_COUNT), FNV_PRIME) ^ (k % CLASS_COUNT), FNV_PRIME)));
const isBoundary = (c: number) => c === 46 || c === 33 || c === 63 || c === 58 || c === 59;

/** The murmur3 32-bit finalizer, as an int32 (the sign bit is the feature's sign). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000;
/** Letters, digits, underscore; any non-ASCII non-space code unit counts as a letter. */
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || (c >= 65 && c <= 90) || (c > 127 && !isSpace(c));

/** Room for the features of a text of `chars` characters (a word of two characters and its space: 2 + 1 + CLASS_COUNT; 3 per character). */
export const featureCapacity = (chars: number) => (4 + CLASS_COUNT) * chars + 8;

/**
 * Writes the hash of every feature occurrence of `text` (normalized) into `out` (as int32: the
 * low DIM_BITS bits are the bucket, the sign bit the feature's sign) and returns how many. `out`
 * must hold featureCapacity(text.length); `pos`, when given, gets each feature's position in the
 * text (where its word starts, where its character n-gram ends). Linear in the text; no
 * allocation per feature.
 */
export function hashFeatures(text: string, out: Int32Array, pos?: Int32Array): number {
  let n = 0;
  // Words and bigrams.
  let prev = 0;
  let hasPrev = false;
  const len = text.length;
  let word = INTENT_SPAN + 1;
  lastSeen.fill(-INTENT_SPAN - 1);
  lastSeen[BOUNDARY_CLASS] = word;
  for (let i = 0; i < len; ) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (c === 10) lastSeen[BOUNDARY_CLASS] = word;
      i++;
      continue;
    }
    let h = (FNV_OFFSET ^ WORD_SEED) >>> 0;
    const start = i;
    if (isWordChar(c)) {
      while (i < len && isWordChar(text.charCodeAt(i))) h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
    } else {
      h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
      if (isBoundary(c)) lastSeen[BOUNDARY_CLASS] = word;
    }
    if (hasPrev && h === prev) continue;
    if (pos) pos[n] = pos[n + 1] = start;
    out[n++] = fmix(h);
    if (hasPrev) out[n++] = fmix(Math.imul(Math.imul(BIGRAM_SEED ^ prev, FNV_PRIME) ^ h, FNV_PRIME));
    prev = h;
    hasPrev = true;
    word++;
    const cls = LEXICON.get(h);
    if (cls === undefined) continue;
    if (pos) pos[n] = start;
    out[n++] = classHash[cls]!;
    for (let k = 0; k < CLASS_COUNT; k++) {
      if (word - lastSeen[k]! > INTENT_SPAN) continue;
      if (pos) pos[n] = start;
      out[n++] = pairHash[k * CLASS_COUNT + cls]!;
    }
    lastSeen[cls] = word;
  }
  // Character 3..5-grams over the text with whitespace runs as one space: a rolling window of
  // the last five code units (c0 oldest), so each position costs a few multiplications.
  let c0 = -1, c1 = -1, c2 = -1, c3 = -1, c4 = -1;
  let space = true;
  for (let i = 0; i < len; i++) {
    let c = text.charCodeAt(i);
    if (isSpace(c)) {
      if (space) continue;
      c = 32;
      space = true;
    } else space = false;
    // A run of one character (`xxxxx`, `-----`): its n-grams repeat; count them once.
    if (c === c4 && c === c3 && c === c2 && c === c1 && c === c0) continue;
    c0 = c1; c1 = c2; c2 = c3; c3 = c4; c4 = c;
    if (c2 < 0) continue;
    if (pos) pos[n] = pos[n + 1] = pos[n + 2] = i;
    // The 3-gram ending here, then the 4- and 5-grams ending here (same values as growing a hash from their start).
    out[n++] = fmix(Math.imul(Math.imul(Math.imul(FNV_OFFSET ^ c2, FNV_PRIME) ^ c3, FNV_PRIME) ^ c4, FNV_PRIME) ^ 3);
    if (c1 < 0) continue;
    out[n++] = fmix(Math.imul(Math.imul(Math.imul(Math.imul(FNV_OFFSET ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ c3, FNV_PRIME) ^ c4, FNV_PRIME) ^ 4);
    if (c0 < 0) continue;
    out[n++] = fmix(Math.imul(Math.imul(Math.imul(Math.imul(Math.imul(FNV_OFFSET ^ c0, FNV_PRIME) ^ c1, FNV_PRIME) ^ c2, FNV_PRIME) ^ c3, FNV_PRIME) ^ c4, FNV_PRIME) ^ 5);
  }
  return n;
}

/** The bucket and sign of a hashed feature. */
export const bucketOf = (h: number) => h & MASK;
export const signOf = (h: number) => (h < 0 ? -1 : 1);

/** The sparse vector (index → value) of a text, as the training script reads it. */
export function featureVector(text: string): Map<number, number> {
  const hashes = new Int32Array(featureCapacity(text.length));
  const n = hashFeatures(text, hashes);
  const counts = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    const i = bucketOf(hashes[k]!);
    counts.set(i, (counts.get(i) ?? 0) + signOf(hashes[k]!));
  }
  const scale = n ? 1 / Math.sqrt(n) : 0;
  for (const [i, v] of counts) counts.set(i, v * scale);
  return counts;
}
