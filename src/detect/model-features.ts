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
 * A feature equal to the one just before it (same kind: a word repeated, an n-gram inside a run
 * of one character such as `xxxx` or `----`) is counted once: a run of padding must not outweigh
 * the text around it.
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

/** Room for the features of a text of `chars` characters (at most 2 per word, 3 per character). */
export const featureCapacity = (chars: number) => 5 * chars + 8;

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
  for (let i = 0; i < len; ) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    let h = (FNV_OFFSET ^ WORD_SEED) >>> 0;
    if (pos) pos[n] = pos[n + 1] = i;
    if (isWordChar(c)) {
      while (i < len && isWordChar(text.charCodeAt(i))) h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
    } else h = Math.imul(h ^ text.charCodeAt(i++), FNV_PRIME);
    if (hasPrev && h === prev) continue;
    out[n++] = fmix(h);
    if (hasPrev) out[n++] = fmix(Math.imul(Math.imul(BIGRAM_SEED ^ prev, FNV_PRIME) ^ h, FNV_PRIME));
    prev = h;
    hasPrev = true;
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
