/**
 * Parsing untrusted JSON-RPC bytes with every limit checked before the work it limits.
 *
 * Order: byte size (before decoding) -> UTF-8 validity -> nesting depth (a byte scan, before
 * JSON.parse allocates anything) -> JSON.parse -> prototype keys. The key walk only runs when the
 * raw text could spell a polluting key (literally or through a \u escape), so the common message
 * pays for a single scan.
 *
 * Which keys pollute is secure-json-parse's rule (fastify), used on both sides: a `__proto__` key
 * anywhere, and a `constructor` object with its own `prototype` key (the `constructor.prototype`
 * path that a naive deep merge follows into Object.prototype). A plain `constructor` or
 * `prototype` key is data: a code-analysis tool lists a class's `constructor`, a JSON Schema
 * declares a `prototype` property. Refusing those dropped legitimate server results.
 */
import { isUtf8 } from 'node:buffer';
import { GatewayError } from '../errors.ts';
import { stringEnd } from './json-string-end.ts';

export interface ParseLimits {
  maxBytes: number;
  /** Deepest object/array nesting counted from the message root. */
  maxDepth: number;
}

/** JSON's structural bytes, for the scans that run before (or instead of) parsing. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const LBRACKET = 0x5b;
export const RBRACE = 0x7d;
export const RBRACKET = 0x5d;

/** Nesting depth by a byte scan that skips string contents; true when it exceeds maxDepth. */
function tooDeep(buf: Buffer, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      i = stringEnd(buf, i);
      if (i < 0) return false; // unterminated: JSON.parse refuses it
    } else if (c === LBRACE || c === LBRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return false;
}

/**
 * Could the text spell a polluting key, literally or with a \u escape? (native memmem) A
 * `constructor.prototype` needs both words, so a message naming only one is not walked.
 */
function maySpellPollutingKey(buf: Buffer): boolean {
  return buf.includes('__proto__') || buf.includes('\\u') || (buf.includes('constructor') && buf.includes('prototype'));
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** The first polluting key path in the parsed value (secure-json-parse's rule), or undefined. */
function findPollutingKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
      continue;
    }
    // JSON.parse defines `__proto__` as an own data property (it never sets the prototype), so an
    // own-property check sees it; `constructor` is read only when it is the parsed value's own.
    if (own(v, '__proto__')) return '__proto__';
    const ctor = own(v, 'constructor') ? (v as { constructor: unknown }).constructor : undefined;
    if (ctor !== null && typeof ctor === 'object' && own(ctor, 'prototype')) return 'constructor.prototype';
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== null && typeof x === 'object') stack.push(x);
    }
  }
  return undefined;
}

export function parseJsonBytes(buf: Uint8Array, limits: ParseLimits): unknown {
  if (buf.length > limits.maxBytes) {
    throw new GatewayError('MESSAGE_TOO_LARGE', `Message of ${buf.length} bytes exceeds the limit of ${limits.maxBytes}`);
  }
  if (!isUtf8(buf)) throw new GatewayError('INVALID_UTF8', 'Message is not valid UTF-8');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  // Server-to-client messages pass maxDepth = Infinity: V8's parser is not recursive, and the
  // gateway's own walkers are iterative, so only the byte cap matters there.
  if (Number.isFinite(limits.maxDepth) && tooDeep(b, limits.maxDepth)) throw new GatewayError('NESTING_TOO_DEEP', `Message nesting exceeds the limit of ${limits.maxDepth}`);
  let value: unknown;
  try {
    value = JSON.parse(b.toString('utf8'));
  } catch {
    throw new GatewayError('PARSE_ERROR', 'Parse error: invalid JSON');
  }
  if (maySpellPollutingKey(b)) {
    const key = findPollutingKey(value);
    if (key) throw new GatewayError('FORBIDDEN_KEY', `Forbidden key "${key}" in message`);
  }
  return value;
}
