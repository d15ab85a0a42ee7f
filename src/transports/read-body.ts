/**
 * A POST body, read up to `max` bytes. Over it, only its edges are kept (the first
 * ID_PREFIX_BYTES, the last ID_SUFFIX_BYTES): enough to read the id the 413 answers
 * (protocol/frame-id.ts), so the client's call ends at once instead of waiting for its timeout.
 * The rest is read and dropped, up to DRAIN_BYTES past the limit, to reach the last bytes, where
 * most clients put the id; a body longer than that (or declared so) is answered from its first
 * bytes alone, and what remains of it is discarded as it arrives.
 */
import type { IncomingMessage } from 'node:http';
import { ID_PREFIX_BYTES, ID_SUFFIX_BYTES } from '../protocol/frame-id.ts';

export const DRAIN_BYTES = 8 * 1024 * 1024;

export type ReadBody = { body: Buffer } | { head: Buffer; tail?: Buffer };

export function readRequestBody(req: IncomingMessage, max: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const parts: Buffer[] = [];
    let n = 0;
    let over = declared > max;
    const head: Buffer[] = [];
    let headLen = 0;
    let tail = Buffer.alloc(0);
    const keepEdges = (c: Buffer) => {
      if (headLen < ID_PREFIX_BYTES) {
        const h = Buffer.from(c.subarray(0, ID_PREFIX_BYTES - headLen));
        head.push(h);
        headLen += h.length;
      }
      const t = Buffer.concat([tail, c.subarray(Math.max(0, c.length - ID_SUFFIX_BYTES))]);
      tail = Buffer.from(t.subarray(Math.max(0, t.length - ID_SUFFIX_BYTES)));
    };
    const giveUp = () => {
      req.removeAllListeners('data');
      req.resume();
      resolve({ head: Buffer.concat(head) });
    };
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (!over && n <= max) return void parts.push(c);
      if (!over) {
        over = true;
        for (const p of parts.splice(0)) keepEdges(p);
      }
      keepEdges(c);
      if (n > max + DRAIN_BYTES || (declared > max + DRAIN_BYTES && headLen >= ID_PREFIX_BYTES)) giveUp();
    });
    req.on('end', () => resolve(over ? { head: Buffer.concat(head), tail } : { body: Buffer.concat(parts, n) }));
    req.on('error', reject);
  });
}
