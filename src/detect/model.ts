/**
 * The shipped detection model: logistic regression over hashed word and character n-grams
 * (model-features.ts), trained offline by scripts/detect-train.py; its weights are a data file
 * in this package (src/detect/model/injection-linear.f32, float32, with injection-linear.json:
 * bias, calibration, thresholds, provenance, SHA-256). Nothing is downloaded; inference is
 * arithmetic over that array, in-process.
 *
 * A text is scored in windows of `windowChars` of its normalized form (normalize.ts); its logit
 * is the maximum over windows (truncating would let a payload sit after the cut). The logit is
 * calibrated (Platt, on the validation split) to a probability, and combined by noisy-OR with
 * the probability that the injection rules' strongest finding is an attack (also measured on the
 * validation split): ONE score, 0..1, compared with the thresholds per action.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { forEachFeature, DIM_BITS } from './model-features.ts';

export interface ModelMeta {
  format: 'portcullis-linear-1';
  dimBits: number;
  bias: number;
  platt: { a: number; b: number };
  /** P(attack | strongest rule finding): index 0 none, 1 low … 4 critical. */
  ruleProbability: number[];
  thresholds: { flag: number; quarantine: number; block: number };
  windowChars: number;
  weightsSha256: string;
}

export interface Model {
  meta: ModelMeta;
  weights: Float32Array;
}

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
  const w = model.weights;
  let sum = 0;
  const n = forEachFeature(text, (i, s) => {
    sum += s * w[i]!;
  });
  return model.meta.bias + (n ? sum / Math.sqrt(n) : 0);
}

/** The maximum logit over the windows of a normalized text. */
export function textLogit(model: Model, normalized: string): number {
  const size = model.meta.windowChars;
  if (normalized.length <= size) return windowLogit(model, normalized);
  let best = -Infinity;
  for (let at = 0; at < normalized.length; at += size) best = Math.max(best, windowLogit(model, normalized.slice(at, at + size)));
  return best;
}

export function modelProbability(model: Model, logit: number): number {
  return 1 / (1 + Math.exp(-(model.meta.platt.a * logit + model.meta.platt.b)));
}

/** Rules and model as one score: noisy-OR of the calibrated model and the rules' strongest level (0 none … 4 critical). */
export function combinedScore(model: Model, modelP: number, ruleLevel: number): number {
  const r = model.meta.ruleProbability[Math.max(0, Math.min(4, ruleLevel))] ?? 0;
  return 1 - (1 - modelP) * (1 - r);
}
