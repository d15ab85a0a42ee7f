/**
 * Which of the gateway's requests a server message that cannot be used was meant to answer: a
 * result over the size cap, invalid JSON, a polluting key, a broken envelope. That call is failed
 * at once; otherwise its client would wait the whole request timeout for an answer the gateway
 * already dropped.
 *
 * A message that parsed names its id (salvageId). One that did not is read as text: the id in its
 * last bytes, where serializers put it (`…,"id":7}`); failing that, when it began like a response,
 * the only request in flight. A request or notification from the server (it has a `method`) never
 * fails a call.
 */
import { salvageId } from '../protocol/envelope.ts';

/**
 * `value`: the parsed message, when it parsed; `tail`/`head`: its last and first bytes.
 * `pending`: the ids of the requests in flight. Returns one of them, or undefined.
 */
export function answeredId(value: unknown, tail: Buffer, head: Buffer | undefined, pending: Iterable<number>): number | undefined {
  const ids = [...pending];
  const sole = ids.length === 1 ? ids[0] : undefined;
  if (value !== undefined) {
    if (!value || typeof value !== 'object' || Array.isArray(value) || 'method' in value) return undefined;
    const id = salvageId(value);
    if (typeof id === 'number') return ids.includes(id) ? id : undefined;
    // A response whose id is unusable (null, missing, a string we never send) can only be the sole call's.
    return 'result' in value || 'error' in value ? sole : undefined;
  }
  const m = /"id"\s*:\s*(\d+)\s*\}\s*$/.exec(tail.toString('latin1'));
  if (m) {
    const id = Number(m[1]);
    return ids.includes(id) ? id : undefined;
  }
  // Without an id, blame the only request in flight only if the message began like a response:
  // a broken notification must not fail an innocent call.
  const h = head?.toString('latin1') ?? '';
  const looksLikeResponse = /^\s*\{\s*"(result|error)"/.test(h) || (/"id"\s*:/.test(h) && !/"method"\s*:/.test(h));
  return looksLikeResponse ? sole : undefined;
}
