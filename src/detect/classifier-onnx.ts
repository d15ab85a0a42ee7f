/**
 * Classifier backend: an ONNX model file run in-process by `onnxruntime-node`, loaded with a
 * dynamic import only when configured. It is not a Portcullis dependency (a native package of
 * ~100 MB most deployments do not need): `portcullis check` and start-up fail with the fix when it
 * is configured but absent (classifierProblems in classifier.ts), never skip it silently.
 *
 * The model takes a string tensor [batch] (its tokenizer is part of the graph) and returns per
 * text either one probability ([batch] or [batch, 1]) or logits [batch, k] (softmaxed, column
 * `injectionLabel`).
 */
import { createRequire } from 'node:module';
import type { OnnxClassifierConfig } from '../config/classifier-schema.ts';
import type { Classifier } from './classifier.ts';

export const ONNX_PACKAGE = 'onnxruntime-node';

interface OrtTensor {
  data: ArrayLike<number | bigint>;
  dims: readonly number[];
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(path: string): Promise<OrtSession> };
  Tensor: new (type: 'string', data: string[], dims: number[]) => unknown;
}

async function importOrt(): Promise<OrtModule> {
  // A variable specifier: the type checker and bundlers must not require the optional package.
  const specifier: string = ONNX_PACKAGE;
  const mod = (await import(specifier)) as OrtModule & { default?: OrtModule };
  return mod.InferenceSession ? mod : (mod.default as OrtModule);
}

/** Resolvable from Portcullis's own location (where `import()` below would look). */
export function onnxRuntimeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(ONNX_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

function softmaxColumn(row: number[], col: number): number {
  const max = Math.max(...row);
  const exps = row.map((v) => Math.exp(v - max));
  return exps[col] / exps.reduce((a, b) => a + b, 0);
}

export class OnnxClassifier implements Classifier {
  readonly #cfg: OnnxClassifierConfig;
  #loading?: Promise<{ ort: OrtModule; session: OrtSession }>;

  constructor(cfg: OnnxClassifierConfig) {
    this.#cfg = cfg;
  }

  #load(): Promise<{ ort: OrtModule; session: OrtSession }> {
    this.#loading ??= (async () => {
      let ort: OrtModule;
      try {
        ort = await importOrt();
      } catch {
        throw new Error(`classifier type: onnx needs ${ONNX_PACKAGE}, which is not installed; fix: npm install ${ONNX_PACKAGE}`);
      }
      try {
        return { ort, session: await ort.InferenceSession.create(this.#cfg.model) };
      } catch (err) {
        throw new Error(`classifier model ${this.#cfg.model} could not be loaded: ${(err as Error).message}`);
      }
    })();
    return this.#loading;
  }

  async ready(): Promise<void> {
    await this.#load();
  }

  async classify(texts: string[]): Promise<number[]> {
    const { ort, session } = await this.#load();
    const input = this.#cfg.inputName ?? session.inputNames[0];
    const output = this.#cfg.outputName ?? session.outputNames[0];
    const result = (await session.run({ [input]: new ort.Tensor('string', texts, [texts.length]) }))[output];
    if (!result) throw new Error(`classifier model has no output ${output}`);
    const values = Array.from(result.data, Number);
    const k = values.length / texts.length;
    if (!Number.isInteger(k) || k < 1) throw new Error(`classifier output ${output} has shape [${result.dims.join(', ')}] for ${texts.length} texts`);
    if (k === 1) return values.map((v) => Math.min(1, Math.max(0, v)));
    const col = this.#cfg.injectionLabel;
    if (col >= k) throw new Error(`injectionLabel ${col} is outside the model's ${k} outputs`);
    return texts.map((_, i) => softmaxColumn(values.slice(i * k, (i + 1) * k), col));
  }

  async close(): Promise<void> {
    if (!this.#loading) return;
    const loaded = await this.#loading.catch(() => undefined);
    await loaded?.session.release?.();
  }
}
