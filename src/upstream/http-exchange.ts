/**
 * One HTTP exchange with an upstream over undici's dispatcher, without `request()`'s per-call
 * body stream: an answer that is not an SSE stream is collected into one buffer as it arrives,
 * capped at `max` bytes (over it, the exchange is aborted and the body is null: a server cannot
 * make us buffer without bound). Only a `text/event-stream` answer gets a readable stream, read
 * with backpressure (a full stream pauses the socket). Every tool call crosses here, so the
 * common case (a JSON answer) costs no stream, no async iterator and no promise per chunk.
 */
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

export type AnswerHeaders = Record<string, string | string[] | undefined>;

export interface Exchange {
  statusCode: number;
  headers: AnswerHeaders;
  /** `text/event-stream`: the body as it arrives (destroy it to drop the rest). */
  stream?: Readable;
  /** Any other type: the whole body, or null when it was over the cap (the exchange was cut). */
  body?: Buffer | null;
}

export interface ExchangeOptions {
  method: 'GET' | 'POST' | 'DELETE';
  origin: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** The most bytes a collected (non-stream) body may have. */
  max: number;
}

class AbortedError extends Error {
  override name = 'AbortError';
  constructor() {
    super('This operation was aborted');
  }
}

export function exchange(agent: Dispatcher, o: ExchangeOptions): Promise<Exchange> {
  return new Promise<Exchange>((resolve, reject) => {
    const { signal, max } = o;
    if (signal?.aborted) return reject(signal.reason ?? new AbortedError());
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let stream: Readable | undefined;
    let streamEnded = false;
    let statusCode = 0;
    let headers: AnswerHeaders = {};
    const parts: Buffer[] = [];
    let n = 0;
    const onAbort = () => {
      const reason = (signal?.reason as Error | undefined) ?? new AbortedError();
      if (stream) stream.destroy(reason);
      else fail(reason);
      controller?.abort(reason);
    };
    const unlisten = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (err: Error) => {
      unlisten();
      if (settled) return;
      settled = true;
      reject(err);
    };
    const finish = (body: Buffer | null) => {
      unlisten();
      if (settled) return;
      settled = true;
      resolve({ statusCode, headers, body });
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (signal?.aborted) c.abort((signal.reason as Error | undefined) ?? new AbortedError());
      },
      onResponseStart(c, status, h) {
        if (status < 200) return; // 1xx: informational, the answer follows
        statusCode = status;
        headers = h as AnswerHeaders;
        if (!String(h['content-type'] ?? '').startsWith('text/event-stream')) return;
        stream = new Readable({
          read: () => c.resume(),
          destroy: (err, cb) => {
            unlisten();
            // Dropped before its end (answered, oversize, cancelled): the connection goes too.
            if (!streamEnded && !c.aborted) c.abort(err ?? new AbortedError());
            cb(err);
          },
        });
        settled = true;
        resolve({ statusCode, headers, stream });
      },
      onResponseData(c, chunk) {
        if (stream) {
          if (!stream.destroyed && !stream.push(chunk)) c.pause();
          return;
        }
        if (settled) return;
        n += chunk.length;
        if (n > max) {
          finish(null);
          c.abort(new Error(`answer over ${max} bytes`));
          return;
        }
        parts.push(chunk);
      },
      onResponseEnd() {
        if (stream) {
          streamEnded = true;
          unlisten();
          if (!stream.destroyed) stream.push(null);
          return;
        }
        finish(parts.length === 1 ? parts[0] : Buffer.concat(parts, n));
      },
      onResponseError(_c, err) {
        if (stream) {
          unlisten();
          if (!stream.destroyed) stream.destroy(err);
          return;
        }
        fail(err);
      },
    };
    try {
      agent.dispatch({ origin: o.origin, path: o.path, method: o.method, headers: o.headers, body: o.body }, handler);
    } catch (err) {
      fail(err as Error);
    }
  });
}
