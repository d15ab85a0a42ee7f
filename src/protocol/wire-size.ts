/**
 * How many bytes a client message had on the wire, kept beside the parsed message.
 *
 * Stage 0 checks `maxMessageSize` on the raw bytes before anything is parsed, but only against
 * the global limit: which server a message is for is not known until it is routed. A server's
 * own, lower limit is checked after routing (checks/server-limits.ts) against the size recorded
 * here, the original bytes, not a re-serialization (which could be shorter: escapes, spaces).
 */

const sizes = new WeakMap<object, number>();

export function rememberWireSize(msg: object, bytes: number): void {
  sizes.set(msg, bytes);
}

/** The recorded size, or the size of the message serialized again when none was recorded. */
export function wireSizeOf(msg: object): number {
  return sizes.get(msg) ?? Buffer.byteLength(JSON.stringify(msg), 'utf8');
}
