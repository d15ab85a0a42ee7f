/**
 * The shipped detection model: logistic regression over hashed word and character n-grams
 * (model-features.ts), trained offline by scripts/detect-train.py; its weights are a data file
 * in this package (src/detect/model/injection-linear.f32, float32, with injection-linear.json:
 * bias, calibration, thresholds, provenance, SHA-256). Nothing is downloaded; inference is
 * arithmetic over that array, in-process.
 *
 * A text is scored in windows of `windowChars` of its normalized form (normalize.ts); its logit
 * is the maximum over windows (truncating would let a payload sit after the cut). ONE score,
 * 0..1, comes from the logit and the injection rules' strongest severity through a logistic
 * regression fitted on the validation split (so it is calibrated there, and the model can
 * outweigh a rule firing on text ABOUT injection); it is compared with the thresholds per
 * action. The model's own probability (Platt, also on validation) is reported beside it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bucketOf, DIM, DIM_BITS, featureCapacity, hashFeatures } from './model-features.ts';

export interface ModelMeta {
  format: 'portcullis-linear-1';
  dimBits: number;
  bias: number;
  platt: { a: number; b: number };
  /** The one score: sigmoid(a × logit + rule[strongest rule level] + b), level 0 none, 1 low … 4 critical. */
  stack: { a: number; b: number; rule: number[] };
  thresholds: { flag: number; quarantine: number; block: number };
  /**
   * Per inspection site, read off that site's validation benign scores (issue 13: arguments and
   * sampling text hold other writing than results); a site left out uses `thresholds`.
   */
  siteThresholds?: Partial<Record<'result' | 'argument' | 'sampling', { flag: number; quarantine: number; block: number }>>;
  windowChars: number;
  /** The median logit of benign validation text: stands in for the model where it does not run. */
  neutralLogit: number;
  weightsSha256: string;
}

export interface Model {
  meta: ModelMeta;
  weights: Float32Array;
}

const BUCKET_MASK = DIM - 1;
/** textLogit's state: a batch of feature hashes and positions (small enough to stay in cache), per-position weight sums and feature counts of the text (grown as needed), the weights in use. */
const batch = new Int32Array(4096);
const batchAt = new Int32Array(batch.length);
let sums = new Float64Array(0);
let counts = new Int32Array(0);
let weights: Float32Array = new Float32Array(0);
const DIR = new URL('./model/', import.meta.url);
let shipped: Model | undefined;

/** The model in this package; throws (naming the file) when it is missing or does not match its hash. */
export function loadModel(): Model {
  if (shipped) return shipped;
  const meta = JSON.parse(readFileSync(new URL('injection-linear.json', DIR), 'utf8')) as ModelMeta;
  const bytes = readFileSync(new URL('injection-linear.f32', DIR));
  const where = new URL('injection-linear.f32', DIR).pathname;
  if (meta.format !== 'portcullis-linear-1' || meta.dimBits !== DIM_BITS) throw new Error(`${where}: model format ${meta.format}/${meta.dimBits} bits, this build reads portcullis-linear-1/${DIM_BITS}`);
  if (bytes.length !== 4 << DIM_BITS) throw new Error(`${where}: ${bytes.length} bytes, expected ${4 << DIM_BITS}`);
  if (createHash('sha256').update(bytes).digest('hex') !== meta.weightsSha256) throw new Error(`${where}: SHA-256 does not match injection-linear.json (corrupt or partial file)`);
  // Copy into an aligned array (a Buffer's offset into its pool need not be a multiple of 4); little-endian as written.
  const weights = new Float32Array(1 << DIM_BITS);
  for (let i = 0; i < weights.length; i++) weights[i] = bytes.readFloatLE(i * 4);
  shipped = { meta, weights };
  return shipped;
}

/** The raw logit of one window of normalized text (what scripts/detect-train.py computes). */
export function windowLogit(model: Model, text: string): number {
  const need = featureCapacity(text.length);
  if (scratch.length < need) scratch = new Int32Array(need);
  const n = hashFeatures(text, scratch);
  const w = model.weights;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const h = scratch[k]!;
    sum += h < 0 ? -w[bucketOf(h)]! : w[bucketOf(h)]!;
  }
  return model.meta.bias + (n ? sum / Math.sqrt(n) : 0);
}

/** Feature hashes of the window being scored (grown as needed; windows are bounded by windowChars). */
let scratch = new Int32Array(featureCapacity(2048));

/**
 * The maximum logit over windows of `windowChars`, every quarter window, of a normalized text.
 * One feature pass over the whole text: each feature's weight is added at its position, prefix
 * sums then give any window's sum and feature count in O(1) (a feature belongs to the window its
 * position falls in).
 */
export function textLogit(model: Model, normalized: string): number {
  const size = model.meta.windowChars;
  const len = normalized.length;
  if (len <= size) return windowLogit(model, normalized);
  if (sums.length < len + 1) {
    sums = new Float64Array(len + 1);
    counts = new Int32Array(len + 1);
  } else {
    sums.fill(0, 0, len + 1);
    counts.fill(0, 0, len + 1);
  }
  weights = model.weights;
  hashFeatures(normalized, batch, batchAt, addBatch);
  const sum = sums;
  const count = counts;
  // Prefix sums, the running total in a local (the same additions as sum[i] += sum[i - 1]).
  let run = 0;
  let runCount = 0;
  for (let i = 1; i <= len; i++) {
    sum[i] = run += sum[i]!;
    count[i] = runCount += count[i]!;
  }
  const step = Math.max(1, size >> 2);
  const bias = model.meta.bias;
  let best = -Infinity;
  for (let start = 0; ; start += step) {
    const end = Math.min(len, start + size);
    const c = count[end]! - count[start]!;
    const logit = bias + (c ? (sum[end]! - sum[start]!) / Math.sqrt(c) : 0);
    if (logit > best) best = logit;
    if (end === len) break;
  }
  return best;
}

/**
 * textLogit's flush: the batch's features' signed weights added at their position + 1, in the
 * order hashFeatures lists them (the same additions as one `sum[p] += weight` per feature, so the
 * same bits); a run of features at one position is summed in a local first. The sign is ±1 from
 * the hash's sign bit, without a branch (the sign is a coin toss a branch would mispredict).
 */
function addBatch(n: number): void {
  const hashes = batch, at = batchAt, sum = sums, count = counts, w = weights;
  for (let k = 0; k < n; ) {
    const p = at[k]!;
    let s = sum[p + 1]!;
    let c = count[p + 1]!;
    do {
      const h = hashes[k]!;
      s += w[h & BUCKET_MASK]! * ((h >> 31) | 1);
      c++;
      k++;
    } while (k < n && at[k] === p);
    sum[p + 1] = s;
    count[p + 1] = c;
  }
}

export function modelProbability(model: Model, logit: number): number {
  return 1 / (1 + Math.exp(-(model.meta.platt.a * logit + model.meta.platt.b)));
}

/** Rules and model as one score; `logit` undefined: the model did not run (a trusted server), the rules alone at a neutral logit. */
export function combinedScore(model: Model, logit: number | undefined, ruleLevel: number): number {
  const { a, b, rule } = model.meta.stack;
  const z = a * (logit ?? model.meta.neutralLogit) + (rule[Math.max(0, Math.min(4, ruleLevel))] ?? 0) + b;
  return 1 / (1 + Math.exp(-z));
}

/** How much each side pushed the score: the model's term and the rules' term of the sum. */
export function contributions(model: Model, logit: number | undefined, ruleLevel: number): { model: number; rules: number } {
  const { a, rule } = model.meta.stack;
  return { model: a * ((logit ?? model.meta.neutralLogit) - model.meta.neutralLogit), rules: rule[Math.max(0, Math.min(4, ruleLevel))] ?? 0 };
}

/**
 * What configuration loading reports when the model is on but does not load (a missing or
 * corrupt weights file): `portcullis check`, `run` and `wrap` fail naming the key and the fix,
 * rather than every inspected string failing later.
 */
export function modelProblems(enabled: boolean, path = 'mcp.security.inspection.injection.model.enabled'): Array<{ path: string; message: string; fix: string }> {
  if (!enabled) return [];
  try {
    loadModel();
    return [];
  } catch (err) {
    return [{ path, message: `the shipped detection model does not load: ${(err as Error).message}`, fix: 'reinstall Portcullis (the model ships in src/detect/model/), or set enabled: false to use the rules alone' }];
  }
}
