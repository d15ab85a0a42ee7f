/**
 * The optional classifier stage after the injection rules: an operator's model behind one
 * interface, either an HTTP endpoint (classifier-http.ts) or an ONNX file run in-process
 * (classifier-onnx.ts). Nothing is downloaded at run time.
 *
 * Long texts are split into windows (`maxChars`) and a text scores the maximum of its windows:
 * truncating instead would let an attacker put the payload after the cut.
 *
 * Failure mode defaults to `closed` (a failed text scores 1): an operator who configured a
 * classifier has said the rules alone are not enough, and an attacker who can slow the
 * classifier down (huge or many texts) must not thereby switch it off. `open` (score 0) is for
 * operators who prefer availability; either way every failure goes to `onError`, which the
 * inspection stage audits: a failure is never silently ignored.
 */
import { accessSync, constants } from 'node:fs';
import type { ClassifierConfig } from '../config/classifier-schema.ts';
import type { ConfigProblem } from '../config/load.ts';
import { HttpClassifier } from './classifier-http.ts';
import { OnnxClassifier, ONNX_PACKAGE, onnxRuntimeInstalled } from './classifier-onnx.ts';

export interface Classifier {
  /** One injection probability 0..1 per text, in order. */
  classify(texts: string[]): Promise<number[]>;
  close?(): Promise<void>;
}

/** A configured classifier: windows, failure mode and threshold applied around a backend. */
export interface ConfiguredClassifier extends Classifier {
  readonly kind: 'http' | 'onnx';
  readonly threshold: number;
  readonly failMode: 'closed' | 'open';
  /** Resolves when the backend is ready; rejects with an operator-facing message (start-up). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface ClassifierOptions {
  /** Called on every failure (the scores then follow `failMode`). Never gets text content. */
  onError?: (err: Error) => void;
}

export class ClassifierError extends Error {
  readonly code = 'CLASSIFIER_FAILED';
}

/** Split texts into windows; `owner[i]` is the text window i came from. */
export function windows(texts: readonly string[], maxChars: number, maxWindows: number): { parts: string[]; owner: number[] } {
  const parts: string[] = [];
  const owner: number[] = [];
  texts.forEach((t, i) => {
    const n = Math.min(maxWindows, Math.max(1, Math.ceil(t.length / maxChars)));
    for (let w = 0; w < n; w++) {
      parts.push(t.slice(w * maxChars, (w + 1) * maxChars));
      owner.push(i);
    }
  });
  return { parts, owner };
}

function validScores(scores: unknown, n: number): scores is number[] {
  return Array.isArray(scores) && scores.length === n && scores.every((s) => typeof s === 'number' && s >= 0 && s <= 1);
}

class WindowedClassifier implements ConfiguredClassifier {
  readonly kind: 'http' | 'onnx';
  readonly threshold: number;
  readonly failMode: 'closed' | 'open';
  readonly #cfg: ClassifierConfig;
  readonly #backend: Classifier & { ready(): Promise<void> };
  readonly #onError?: (err: Error) => void;

  constructor(cfg: ClassifierConfig, backend: Classifier & { ready(): Promise<void> }, opts: ClassifierOptions) {
    this.kind = cfg.type;
    this.threshold = cfg.threshold;
    this.failMode = cfg.failMode;
    this.#cfg = cfg;
    this.#backend = backend;
    this.#onError = opts.onError;
  }

  ready(): Promise<void> {
    return this.#backend.ready();
  }

  async classify(texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    const { parts, owner } = windows(texts, this.#cfg.maxChars, this.#cfg.maxWindows);
    let scores: number[];
    try {
      scores = await this.#backend.classify(parts);
      if (!validScores(scores, parts.length)) throw new ClassifierError(`classifier answered ${parts.length} texts with an invalid score list`);
    } catch (err) {
      this.#onError?.(err instanceof Error ? err : new ClassifierError(String(err)));
      return texts.map(() => (this.failMode === 'closed' ? 1 : 0));
    }
    const out = texts.map(() => 0);
    scores.forEach((s, i) => {
      if (s > out[owner[i]]) out[owner[i]] = s;
    });
    return out;
  }

  close(): Promise<void> {
    return this.#backend.close?.() ?? Promise.resolve();
  }
}

/** The classifier for a config section, or undefined when none is configured. */
export function createClassifier(cfg: ClassifierConfig | undefined, opts: ClassifierOptions = {}): ConfiguredClassifier | undefined {
  if (!cfg) return undefined;
  const backend = cfg.type === 'http' ? new HttpClassifier(cfg) : new OnnxClassifier(cfg);
  return new WindowedClassifier(cfg, backend, opts);
}

/** Where the classifier is configured (for messages naming the key). */
export const CLASSIFIER_KEY = 'mcp.security.inspection.injection.classifier';

/**
 * What configuration loading reports about a classifier section (so `portcullis check`, `run` and
 * `wrap` all fail the same way, naming the key and the fix): the optional ONNX runtime not
 * installed, the model file unreadable. Does not contact an HTTP endpoint (check works offline).
 */
export function classifierProblems(cfg: ClassifierConfig | undefined, path = CLASSIFIER_KEY): ConfigProblem[] {
  if (!cfg || cfg.type !== 'onnx') return [];
  const problems: ConfigProblem[] = [];
  if (!onnxRuntimeInstalled()) {
    problems.push({
      path: `${path}.type`,
      message: `type: onnx needs the optional package ${ONNX_PACKAGE}, which is not installed`,
      fix: `npm install ${ONNX_PACKAGE} (next to Portcullis), or use type: http, or remove ${path}`,
    });
  }
  try {
    accessSync(cfg.model, constants.R_OK);
  } catch {
    problems.push({ path: `${path}.model`, message: `model file ${cfg.model} is not readable`, fix: 'give the path of an .onnx file the gateway user can read' });
  }
  return problems;
}
