/**
 * Parsing untrusted JSON-RPC bytes with every limit checked before the work it limits.
 *
 * Order: byte size (before decoding) -> UTF-8 validity -> nesting depth (a byte scan, before
 * JSON.parse allocates anything) -> JSON.parse -> prototype keys. The key walk only runs when the
 * raw text could contain one of the forbidden keys (literally or through a \u escape), so the
 * common message pays for a single scan.
 */
import { isUtf8 } from 'node:buffer';
import { GatewayError } from '../errors.ts';

export interface ParseLimits {
  maxBytes: number;
  /** Deepest object/array nesting counted from the message root. */
  maxDepth: number;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** JSON's structural bytes, for the scans that run before (or instead of) parsing. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const LBRACKET = 0x5b;
export const RBRACE = 0x7d;
export const RBRACKET = 0x5d;

/** Nesting depth by a byte scan that skips string contents; true when it exceeds maxDepth. */
function tooDeep(buf: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === LBRACE || c === LBRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === RBRACE || c === RBRACKET) depth--;
  }
  return false;
}

/** Could the text hold a forbidden key, literally or spelled with a \u escape? (native memmem) */
function maySpellForbiddenKey(buf: Buffer): boolean {
  return buf.includes('__proto__') || buf.includes('constructor') || buf.includes('prototype') || buf.includes('\\u');
}

function findForbiddenKey(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
      continue;
    }
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k)) return k;
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
  if (maySpellForbiddenKey(b)) {
    const key = findForbiddenKey(value);
    if (key) throw new GatewayError('FORBIDDEN_KEY', `Forbidden key "${key}" in message`);
  }
  return value;
}
