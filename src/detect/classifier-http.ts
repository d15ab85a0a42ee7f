/**
 * Classifier backend: an operator's HTTP endpoint. POST `{"texts": [...]}`, answer
 * `{"scores": [...]}` (one 0..1 per text). Bounded: a timeout per request covering connect, send
 * and answer; a byte cap on the answer; texts sent in batches of `maxBatch`. Header values
 * (tokens) are never put in error messages.
 */
import { Agent, request } from 'undici';
import type { HttpClassifierConfig } from '../config/classifier-schema.ts';
import { readCapped } from '../util/read-capped.ts';
import type { Classifier } from './classifier.ts';

export class HttpClassifier implements Classifier {
  readonly #cfg: HttpClassifierConfig;
  readonly #agent: Agent;

  constructor(cfg: HttpClassifierConfig) {
    this.#cfg = cfg;
    this.#agent = new Agent({ connectTimeout: cfg.timeoutMs, keepAliveTimeout: 30_000 });
  }

  /** One probe request: an endpoint that does not answer is said at start-up, not on the first call. */
  async ready(): Promise<void> {
    await this.#post(['portcullis readiness probe']);
  }

  async classify(texts: string[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < texts.length; i += this.#cfg.maxBatch) {
      out.push(...(await this.#post(texts.slice(i, i + this.#cfg.maxBatch))));
    }
    return out;
  }

  async #post(texts: string[]): Promise<number[]> {
    const signal = AbortSignal.timeout(this.#cfg.timeoutMs);
    const where = new URL(this.#cfg.url).origin;
    let res;
    try {
      res = await request(this.#cfg.url, {
        method: 'POST',
        signal,
        dispatcher: this.#agent,
        headers: { ...this.#cfg.headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ texts }),
      });
    } catch (err) {
      throw new Error(`classifier ${where}: ${signal.aborted ? `no answer within ${this.#cfg.timeoutMs} ms` : (err as Error).message}`);
    }
    let body: Buffer | null;
    try {
      body = await readCapped(res.body, this.#cfg.maxResponseBytes);
    } catch (err) {
      throw new Error(`classifier ${where}: ${signal.aborted ? `answer not complete within ${this.#cfg.timeoutMs} ms` : (err as Error).message}`);
    }
    if (body === null) throw new Error(`classifier ${where}: answer over ${this.#cfg.maxResponseBytes} bytes`);
    if (res.statusCode !== 200) throw new Error(`classifier ${where}: HTTP ${res.statusCode}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new Error(`classifier ${where}: answer is not JSON`);
    }
    // Only `scores` is read (an own property of a plain object), so prototype keys are inert.
    const scores = parsed !== null && typeof parsed === 'object' && Object.hasOwn(parsed, 'scores') ? (parsed as { scores: unknown }).scores : undefined;
    if (!Array.isArray(scores) || scores.length !== texts.length || !scores.every((s) => typeof s === 'number' && s >= 0 && s <= 1)) {
      throw new Error(`classifier ${where}: answer must be {"scores": [${texts.length} numbers in 0..1]}`);
    }
    return scores as number[];
  }

  async close(): Promise<void> {
    await this.#agent.close().catch(() => {});
  }
}
