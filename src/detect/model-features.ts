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
/**
 * The lexicon keyed by word hash, as an open-addressing table (a Map keyed by an int32 that is
 * not a small integer hashes a heap number on every word): a word's hash (FNV-1a) is the key,
 * its class the value, LEX_EMPTY where no key is; built from the same entries as a Map would
 * be (a later entry with the same hash replaces the earlier one).
 */
const LEX_EMPTY = -1;
const lexicon = new Map<number, number>(lexiconEntries().map(([w, c]) => [wordHash(w), c]));
const LEX_BITS = Math.ceil(Math.log2(lexicon.size * 4));
const LEX_MASK = (1 << LEX_BITS) - 1;
const lexKeys = new Int32Array(1 << LEX_BITS);
const lexClass = new Int32Array(1 << LEX_BITS).fill(LEX_EMPTY);
const lexSlot = (h: number) => (h ^ (h >>> LEX_BITS)) & LEX_MASK;
for (const [h, c] of lexicon) {
  let s = lexSlot(h);
  while (lexClass[s] !== LEX_EMPTY) s = (s + 1) & LEX_MASK;
  lexKeys[s] = h;
  lexClass[s] = c;
}
/** The class of the word whose hash is `h`, or LEX_EMPTY. */
function classOf(h: number): number {
  for (let s = lexSlot(h); ; s = (s + 1) & LEX_MASK) {
    const c = lexClass[s]!;
    if (c === LEX_EMPTY || lexKeys[s] === h) return c;
  }
}
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
/** The same two tests by table for ASCII (most text): per code unit below 128, WORD, SPACE or 0 (a one-character word). */
const WORD = 1, SPACE = 2;
const ASCII_KIND = new Uint8Array(128).map((_, c) => (isWordChar(c) ? WORD : isSpace(c) ? SPACE : 0));
const spaceAt = (c: number) => (c < 128 ? ASCII_KIND[c] === SPACE : isSpace(c));
const wordAt = (c: number) => (c < 128 ? ASCII_KIND[c] === WORD : isWordChar(c));

/** The most features one step of hashFeatures' loops writes (a word: unigram, bigram, class, a pair per class). */
const MAX_PER_STEP = 3 + CLASS_COUNT;
/** Room for the features of a text of `chars` characters (a word of two characters and its space: 2 + 1 + CLASS_COUNT; 3 per character). */
export const featureCapacity = (chars: number) => (4 + CLASS_COUNT) * chars + 8;

/**
 * Writes the hash of every feature occurrence of `text` (normalized) into `out` (as int32: the
 * low DIM_BITS bits are the bucket, the sign bit the feature's sign) and returns how many. `out`
 * must hold featureCapacity(text.length); `pos`, when given, gets each feature's position in the
 * text (where its word starts, where its character n-gram ends). Linear in the text; no
 * allocation per feature.
 *
 * With `flush`, `out` and `pos` (both required) are a buffer instead, of at least 4 × MAX_PER_STEP
 * entries: `flush(n)` is called with the first n entries whenever the buffer nears full and at
 * the end (the same features in the same order; a small buffer stays in cache where a whole
 * text's hashes and positions would not), and the total is returned.
 */
export function hashFeatures(text: string, out: Int32Array, pos?: Int32Array, flush?: (n: number) => void): number {
  let n = 0;
  let total = 0;
  // Room left before a flush: at most MAX_PER_STEP features are written per step of either loop.
  const limit = flush ? out.length - MAX_PER_STEP : Infinity;
  if (flush && (!pos || pos.length < out.length || out.length < 4 * MAX_PER_STEP)) throw new RangeError(`hashFeatures: a flushed buffer needs positions and at least ${4 * MAX_PER_STEP} entries`);
  // Words and bigrams.
  let prev = 0;
  let hasPrev = false;
  const len = text.length;
  let word = INTENT_SPAN + 1;
  lastSeen.fill(-INTENT_SPAN - 1);
  lastSeen[BOUNDARY_CLASS] = word;
  for (let i = 0; i < len; ) {
    if (n > limit) {
      flush!(n);
      total += n;
      n = 0;
    }
    const c = text.charCodeAt(i);
    if (spaceAt(c)) {
      if (c === 10) lastSeen[BOUNDARY_CLASS] = word;
      i++;
      continue;
    }
    let h = (FNV_OFFSET ^ WORD_SEED) >>> 0;
    const start = i;
    if (wordAt(c)) {
      h = Math.imul(h ^ c, FNV_PRIME);
      for (i++; i < len; i++) {
        const d = text.charCodeAt(i);
        if (!wordAt(d)) break;
        h = Math.imul(h ^ d, FNV_PRIME);
      }
    } else {
      h = Math.imul(h ^ c, FNV_PRIME);
      i++;
      if (isBoundary(c)) lastSeen[BOUNDARY_CLASS] = word;
    }
    if (hasPrev && h === prev) continue;
    if (pos) pos[n] = start;
    out[n++] = fmix(h);
    if (hasPrev) {
      if (pos) pos[n] = start;
      out[n++] = fmix(Math.imul(Math.imul(BIGRAM_SEED ^ prev, FNV_PRIME) ^ h, FNV_PRIME));
    }
    prev = h;
    hasPrev = true;
    word++;
    const cls = classOf(h);
    if (cls === LEX_EMPTY) continue;
    if (pos) pos[n] = start;
    out[n++] = classHash[cls]!;
    for (let k = 0; k < CLASS_COUNT; k++) {
      if (word - lastSeen[k]! > INTENT_SPAN) continue;
      if (pos) pos[n] = start;
      out[n++] = pairHash[k * CLASS_COUNT + cls]!;
    }
    lastSeen[cls] = word;
  }
  // Character 3..5-grams over the text with whitespace runs as one space, over a rolling window
  // of the last five code units (c0 oldest). FNV-1a runs left to right, so the n-gram ending
  // here extends the (n-1)-gram that ended one shift earlier: f1..f4 hold the FNV states of the
  // last 1..4 code units (before the length and the finalizer), one multiplication each per shift.
  let c0 = -1, c1 = -1, c2 = -1, c3 = -1, c4 = -1;
  let f1 = 0, f2 = 0, f3 = 0, f4 = 0;
  let space = true;
  for (let i = 0; i < len; i++) {
    if (n > limit) {
      flush!(n);
      total += n;
      n = 0;
    }
    let c = text.charCodeAt(i);
    if (spaceAt(c)) {
      if (space) continue;
      c = 32;
      space = true;
    } else space = false;
    // A run of one character (`xxxxx`, `-----`): its n-grams repeat; count them once.
    if (c === c4 && c === c3 && c === c2 && c === c1 && c === c0) continue;
    c0 = c1; c1 = c2; c2 = c3; c3 = c4; c4 = c;
    const f5 = Math.imul(f4 ^ c, FNV_PRIME);
    f4 = Math.imul(f3 ^ c, FNV_PRIME);
    f3 = Math.imul(f2 ^ c, FNV_PRIME);
    f2 = Math.imul(f1 ^ c, FNV_PRIME);
    f1 = Math.imul(FNV_OFFSET ^ c, FNV_PRIME);
    if (c2 < 0) continue;
    // The 3-gram ending here, then the 4- and 5-grams ending here.
    if (pos) pos[n] = i;
    out[n++] = fmix(f3 ^ 3);
    if (c1 < 0) continue;
    if (pos) pos[n] = i;
    out[n++] = fmix(f4 ^ 4);
    if (c0 < 0) continue;
    if (pos) pos[n] = i;
    out[n++] = fmix(f5 ^ 5);
  }
  if (!flush) return n;
  if (n) flush(n);
  return total + n;
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
