/**
 * The `id` of a frame too large to parse, read from its first and last bytes only, so that the
 * MESSAGE_TOO_LARGE error answers the request that caused it. With `"id": null` the client
 * cannot match the error to its call and waits for its own timeout.
 *
 * The size limit stays in force: only the first ID_PREFIX_BYTES and the last ID_SUFFIX_BYTES are
 * looked at, and nothing is handed to JSON.parse but single tokens found inside them.
 *
 * - The end: the root object's last member, read backwards from its closing brace. Serializers
 *   that build the envelope around the params put `id` last (the v1 TypeScript SDK writes
 *   `{"method":…,"params":…,"jsonrpc":"2.0","id":1}`); it is also the member a JSON parser keeps
 *   when a key repeats.
 * - The start: the root object's members, walked forwards, nested values skipped by depth (strings
 *   and their escapes tracked), for serializers that write `id` first.
 *
 * Either way an `"id"` inside `params` or inside a string is never taken for the request's own.
 * Anything that cannot be read with certainty gives null: a root that is not an object, a value
 * cut off by the edge of the bytes kept, two top-level ids within the start. A frame whose start
 * names an id and whose hidden middle repeats the key is answered with the first: still the
 * sender's own call.
 */
import { salvageId, type JsonRpcId } from './envelope.ts';
import { BACKSLASH, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET } from './safe-json.ts';

export const ID_PREFIX_BYTES = 4096;
export const ID_SUFFIX_BYTES = 512;

const COMMA = 0x2c;
const COLON = 0x3a;
const NOT_FOUND = -1;

const isWs = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length && isWs(b[i])) i++;
  return i;
}

/** Index just past the string starting at `b[i] === '"'`, or NOT_FOUND if it is cut off. */
function afterString(b: Uint8Array, i: number): number {
  for (let j = i + 1; j < b.length; j++) {
    if (b[j] === BACKSLASH) j++;
    else if (b[j] === QUOTE) return j + 1;
  }
  return NOT_FOUND;
}

/** Index just past the JSON value starting at `i`, or NOT_FOUND if the prefix ends inside it. */
function afterValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return afterString(b, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    for (let j = i; j < b.length; j++) {
      const d = b[j];
      if (d === QUOTE) {
        j = afterString(b, j);
        if (j === NOT_FOUND) return NOT_FOUND;
        j--;
      } else if (d === LBRACE || d === LBRACKET) depth++;
      else if ((d === RBRACE || d === RBRACKET) && --depth === 0) return j + 1;
    }
    return NOT_FOUND;
  }
  // A number or a literal: it ends at a delimiter, and one must be inside the prefix (a number
  // cut off by the end of the prefix could be longer than what was read).
  for (let j = i; j < b.length; j++) {
    const d = b[j];
    if (d === COMMA || d === RBRACE || d === RBRACKET || isWs(d)) return j === i ? NOT_FOUND : j;
  }
  return NOT_FOUND;
}

/** One complete token, parsed on its own (bounded by the prefix). */
function token(b: Uint8Array, from: number, to: number): unknown {
  try {
    return JSON.parse(Buffer.from(b.buffer, b.byteOffset + from, to - from).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The id of an oversized frame from its edges: the end's last member first, then the start. */
export function frameId(head: Uint8Array, tail?: Uint8Array): JsonRpcId | null {
  return (tail && idFromSuffix(tail)) ?? idFromPrefix(head);
}

/** Index of the unescaped quote that opens the string closed at `b[close]`, or NOT_FOUND. */
function stringStart(b: Uint8Array, close: number): number {
  for (let j = close - 1; j >= 0; j--) {
    if (b[j] !== QUOTE) continue;
    let backslashes = 0;
    for (let k = j - 1; k >= 0 && b[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
  return NOT_FOUND;
}

const isScalarByte = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2e || c === 0x2b || c === 0x2d;

function skipWsBack(b: Uint8Array, i: number): number {
  while (i >= 0 && isWs(b[i])) i--;
  return i;
}

/**
 * The root object's last member, if it is `id`, from the last bytes of a frame. Reading back from
 * the final `}`: a scalar value, `:`, a key, and `,` or `{` before it. A last member whose value is
 * an object or an array is not the id, and nothing nested is ever entered.
 */
export function idFromSuffix(tail: Uint8Array): JsonRpcId | null {
  const b = tail.subarray(Math.max(0, tail.length - ID_SUFFIX_BYTES));
  let i = skipWsBack(b, b.length - 1);
  if (b[i] !== RBRACE) return null;
  i = skipWsBack(b, i - 1);
  const valueEnd = i + 1;
  let valueStart: number;
  if (b[i] === QUOTE) {
    valueStart = stringStart(b, i);
    if (valueStart === NOT_FOUND) return null;
  } else {
    let j = i;
    while (j >= 0 && isScalarByte(b[j])) j--;
    if (j === i || j < 0) return null; // an object or array value, or a number cut off by the edge
    valueStart = j + 1;
  }
  i = skipWsBack(b, valueStart - 1);
  if (b[i] !== COLON) return null;
  const keyEnd = skipWsBack(b, i - 1);
  if (b[keyEnd] !== QUOTE) return null;
  const keyStart = stringStart(b, keyEnd);
  if (keyStart === NOT_FOUND) return null;
  const before = skipWsBack(b, keyStart - 1);
  if (b[before] !== COMMA && b[before] !== LBRACE) return null;
  if (token(b, keyStart, keyEnd + 1) !== 'id') return null;
  return salvageId({ id: token(b, valueStart, valueEnd) });
}

/** The root object's `id` within the first ID_PREFIX_BYTES of `frame`, or null. */
export function idFromPrefix(frame: Uint8Array): JsonRpcId | null {
  const b = frame.subarray(0, ID_PREFIX_BYTES);
  let i = skipWs(b, 0);
  if (b[i] !== LBRACE) return null;
  i++;
  let id: JsonRpcId | null = null;
  let seen = false;
  for (;;) {
    i = skipWs(b, i);
    if (b[i] !== QUOTE) return id; // the end of the object, of the prefix, or not JSON
    const keyEnd = afterString(b, i);
    if (keyEnd === NOT_FOUND) return id;
    const key = token(b, i, keyEnd);
    i = skipWs(b, keyEnd);
    if (b[i] !== COLON) return id;
    i = skipWs(b, i + 1);
    const valueEnd = afterValue(b, i);
    if (valueEnd === NOT_FOUND) return id;
    if (key === 'id') {
      if (seen) return null; // two top-level ids: which one a parser keeps is not ours to guess
      seen = true;
      id = salvageId({ id: token(b, i, valueEnd) });
    }
    i = skipWs(b, valueEnd);
    if (b[i] !== COMMA) return id;
    i++;
  }
}
