/**
 * Forwarding a server's result without re-serializing it.
 *
 * The gateway renumbers requests, so a response cannot go back byte for byte: its `id` differs.
 * But MCP SDK servers write `{"result":<R>,"jsonrpc":"2.0","id":<n>}`, and most others
 * `{"jsonrpc":"2.0","id":<n>,"result":<R>}`. When the raw bytes have exactly one of those frames (and the parse already proved it is one JSON object with those members), the
 * bytes between the frame are the result's own JSON text, and the client's response can be built
 * around them. A 256 KB result then costs one parse (needed for the checks) and no stringify.
 * Any other layout falls back to JSON.stringify.
 *
 * A result with a duplicate member anywhere never splices. JSON.parse keeps the last value, and
 * the checks read that; a client whose parser keeps the first would read the other one, unchecked
 * (`"text":"<injection>","text":"fine"` showed the inspector "fine"). Re-serializing the parsed
 * result leaves one value, the inspected one, for every parser.
 */
import { stringEnd } from './json-string-end.ts';

const HEAD = Buffer.from('{"result":');

/**
 * The raw JSON text of `result`, or undefined when the frame is not one of the expected ones.
 * `parsed` is the same bytes, parsed: it must have exactly the members jsonrpc, id and result,
 * so that the text between the frame's ends can only be the result.
 */
export function rawResult(bytes: Buffer, parsed: Record<string, unknown>): Buffer | undefined {
  const upstreamId = parsed.id;
  if (typeof upstreamId !== 'number' || parsed.result === undefined || Object.keys(parsed).length !== 3) return undefined;
  if (bytes.length < HEAD.length + 2) return undefined;
  // JSON.parse keeps the last of duplicate members, so the member count alone proves nothing: a
  // hostile server could write `{"result":{…},"id":"other","jsonrpc":"2.0","id":N}`. The result's
  // value must therefore end exactly where the frame says it does (a structural scan).
  if (bytes.compare(HEAD, 0, HEAD.length, 0, HEAD.length) === 0) {
    const tail = `,"jsonrpc":"2.0","id":${upstreamId}}`;
    const end = bytes.length - tail.length;
    if (end <= HEAD.length || bytes.toString('latin1', end) !== tail) return undefined;
    return exactly(bytes, HEAD.length, end, parsed.result);
  }
  const head = `{"jsonrpc":"2.0","id":${upstreamId},"result":`;
  if (bytes.length > head.length + 2 && bytes.toString('latin1', 0, head.length) === head && bytes[bytes.length - 1] === 0x7d) {
    return exactly(bytes, head.length, bytes.length - 1, parsed.result);
  }
  return undefined;
}

/** bytes[start, end) when they are exactly one value with no duplicate member (same count as parsed). */
function exactly(bytes: Buffer, start: number, end: number, parsed: unknown): Buffer | undefined {
  const scan = scanValue(bytes, start);
  return scan.end === end && scan.members === memberCount(parsed) ? bytes.subarray(start, end) : undefined;
}

/**
 * Members of every object in a parsed value. The raw text has one `:` outside strings per member
 * it spells; JSON.parse folds duplicates, so fewer parsed members means a duplicate (whatever its
 * spelling: `"te\u0078t"` is `"text"`). `for…in` on a parsed object (no prototype members are
 * enumerable: JSON.parse defines own data properties) counts without an array per object.
 */
function memberCount(root: unknown): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop() as object;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (x !== null && typeof x === 'object') stack.push(x);
      }
      continue;
    }
    for (const k in v) {
      n++;
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && typeof x === 'object') stack.push(x);
    }
  }
  return n;
}

/**
 * Where the object or array starting at `start` ends (the index after its closing bracket, or -1),
 * and how many members its objects spell (colons outside strings).
 */
function scanValue(buf: Buffer, start: number): { end: number; members: number } {
  const none = { end: -1, members: 0 };
  if (buf[start] !== 0x7b && buf[start] !== 0x5b) return none;
  let depth = 0;
  let members = 0;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x22) {
      const j = stringEnd(buf, i);
      if (j < 0) return none;
      i = j;
    } else if (c === 0x3a) members++;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return { end: i + 1, members };
    }
  }
  return none;
}

/**
 * `{"jsonrpc":"2.0","id":<id>,"result":<raw>}`, with `extra` members (already serialized, no
 * braces) inserted at the front of the result object when given.
 */
export function frameResult(id: string | number, raw: Buffer, extra?: string): Buffer {
  const head = Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`);
  if (!extra) return Buffer.concat([head, raw, CLOSE]);
  const empty = raw.length === 2; // "{}": the parse proved it is an object
  return Buffer.concat([head, Buffer.from(`{${extra}${empty ? '' : ','}`), raw.subarray(1), CLOSE]);
}

const CLOSE = Buffer.from('}');
