import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors.ts';
import { classify } from '../../src/protocol/envelope.ts';
import { parseJsonBytes } from '../../src/protocol/safe-json.ts';

const limits = { maxBytes: 1024, maxDepth: 4 };
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as GatewayError).code;
  }
  return 'OK';
};

test('size is checked on bytes before anything else', () => {
  assert.equal(code(() => parseJsonBytes(Buffer.alloc(1025, 0x20), limits)), 'MESSAGE_TOO_LARGE');
});

test('depth is measured on the raw bytes, ignoring brackets inside strings', () => {
  assert.equal(code(() => parseJsonBytes(Buffer.from('[[[[[1]]]]]'), limits)), 'NESTING_TOO_DEEP');
  assert.equal(code(() => parseJsonBytes(Buffer.from('{"a":"[[[[[[[[","b":[[1]]}'), limits)), 'OK');
  assert.equal(code(() => parseJsonBytes(Buffer.from('{"a":"\\"[[[[[[","b":1}'), limits)), 'OK');
});

test('depth is decided exactly on the parsed nesting, with long strings full of escapes and brackets', () => {
  // Long string values are skipped with native searches past their first bytes: an escaped quote
  // or a run of backslashes anywhere in them must not end (or prolong) the string.
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pieces = ['a', '[', ']', '{', '}', '\\"', '\\\\', '\\\\\\"', 'é', '\\u0022', ' '];
  const str = () => Array.from({ length: rnd(80) }, () => pieces[rnd(pieces.length)]).join('');
  const value = (d: number): string => {
    if (d === 0 || rnd(3) === 0) return `"${str()}"`;
    return rnd(2) ? `[${Array.from({ length: rnd(3) + 1 }, () => value(d - 1)).join(',')}]` : `{${Array.from({ length: rnd(3) + 1 }, (_, i) => `"${str()}${i}":${value(d - 1)}`).join(',')}}`;
  };
  const depth = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
  for (let n = 0; n < 400; n++) {
    const text = value(7);
    const d = depth(JSON.parse(text));
    // Just at the limit and just over it: a mis-scanned string shifts the count either way.
    assert.equal(code(() => parseJsonBytes(Buffer.from(text), { maxBytes: 1 << 20, maxDepth: d })), 'OK', text);
    if (d > 0) assert.equal(code(() => parseJsonBytes(Buffer.from(text), { maxBytes: 1 << 20, maxDepth: d - 1 })), 'NESTING_TOO_DEEP', text);
  }
});

test('polluting keys are found however they are spelled, and not in values', () => {
  assert.equal(code(() => parseJsonBytes(Buffer.from('{"a":{"__proto__":1}}'), limits)), 'FORBIDDEN_KEY');
  assert.equal(code(() => parseJsonBytes(Buffer.from('{"a":{"\\u005f_proto__":1}}'), limits)), 'FORBIDDEN_KEY');
  assert.equal(code(() => parseJsonBytes(Buffer.from('{"text":"the constructor of a prototype is __proto__"}'), limits)), 'OK');
  const v = parseJsonBytes(Buffer.from('{"a":1}'), limits) as object;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
});

test('secure-json-parse\'s rule: constructor.prototype is refused, a plain constructor or prototype key is data', () => {
  // Refused: the path a deep merge follows into Object.prototype, whatever the prototype's value.
  for (const text of [
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    '[{"x":{"constructor":{"prototype":null}}}]',
    '{"a":{"\\u0063onstructor":{"prototyp\\u0065":1}}}',
    '{"constructor":{"name":"x","prototype":[]}}',
  ]) assert.equal(code(() => parseJsonBytes(Buffer.from(text), limits)), 'FORBIDDEN_KEY', text);
  // Accepted: a class's members listed by a code-analysis tool, a JSON Schema property named prototype.
  for (const text of [
    '[{"constructor":1}]',
    '{"members":{"constructor":{"kind":"method","params":[]},"render":{"kind":"method"}}}',
    '{"type":"object","properties":{"prototype":{"type":"string"}}}',
    '{"constructor":"Foo","prototype":{"render":{}}}',
    '{"constructor":{"name":"Foo"},"x":{"prototype":1}}',
    '{"constructor":[{"prototype":1}]}',
    '{"\\u0063onstructor":{"kind":"method"}}',
  ]) {
    assert.equal(code(() => parseJsonBytes(Buffer.from(text), limits)), 'OK', text);
    assert.deepEqual(parseJsonBytes(Buffer.from(text), limits), JSON.parse(text));
  }
});

test('invalid UTF-8 and invalid JSON are distinct parse errors', () => {
  assert.equal(code(() => parseJsonBytes(Buffer.from([0x7b, 0xff, 0x7d]), limits)), 'INVALID_UTF8');
  assert.equal(code(() => parseJsonBytes(Buffer.from('{"a":'), limits)), 'PARSE_ERROR');
});

test('the envelope: ids, params, batches, responses', () => {
  assert.equal(classify({ jsonrpc: '2.0', id: 1, method: 'x' }).kind, 'request');
  assert.equal(classify({ jsonrpc: '2.0', method: 'x' }).kind, 'notification');
  assert.equal(classify({ jsonrpc: '2.0', id: 'a', result: {} }).kind, 'response');
  assert.equal(code(() => classify({ jsonrpc: '2.0', id: null, method: 'x' })), 'INVALID_REQUEST');
  assert.equal(code(() => classify([{ jsonrpc: '2.0', id: 1, method: 'x' }])), 'BATCH_NOT_SUPPORTED');
  assert.equal(code(() => classify({ jsonrpc: '2.0', id: 1, method: 'x', params: 'p' })), 'INVALID_REQUEST');
  assert.equal(code(() => classify({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'm' } })), 'INVALID_REQUEST');
});

test('one table maps every error code to the wire', () => {
  const e = new GatewayError('RATE_LIMITED', 'slow down', { data: { retryAfterSeconds: 3 }, detail: 'secret reason' });
  assert.deepEqual(e.toJsonRpcError(), { code: -32010, message: 'slow down', data: { reason: 'RATE_LIMITED', retryAfterSeconds: 3 } });
  assert.equal(JSON.stringify(e.toJsonRpcError()).includes('secret'), false);
});
