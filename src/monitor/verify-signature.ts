/**
 * The receiving side of a signed webhook delivery (notifiers.ts signs): the MAC is recomputed
 * with the same function and compared in constant time, and the timestamp (inside the MAC) must
 * be recent, so a captured delivery cannot be replayed later. For receivers written in Node (the
 * n8n Portcullis Trigger); others do the same with their HMAC-SHA256.
 */
import { timingSafeEqual } from 'node:crypto';
import { sign } from './notifiers.ts';

export interface SignatureCheck {
  ok: boolean;
  /** Why not, for the receiver's log (never the secret or the expected MAC). */
  reason?: 'missing-signature' | 'missing-timestamp' | 'bad-timestamp' | 'stale' | 'mismatch';
}

export interface VerifyOptions {
  /** Largest difference between the delivery's timestamp and now. @default 300 */
  toleranceSeconds?: number;
  now?: () => number;
}

export function verifySignature(secret: string, body: string | Buffer, timestamp: string | undefined, signature: string | undefined, opts: VerifyOptions = {}): SignatureCheck {
  if (!signature) return { ok: false, reason: 'missing-signature' };
  if (!timestamp) return { ok: false, reason: 'missing-timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const now = Math.floor((opts.now ?? Date.now)() / 1000);
  if (Math.abs(now - Number(timestamp)) > (opts.toleranceSeconds ?? 300)) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(sign(secret, timestamp, typeof body === 'string' ? body : body.toString('utf8')));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
