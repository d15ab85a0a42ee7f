/**
 * Which pending call an unusable server message answered (src/upstream/answered-id.ts): that call
 * fails at once instead of timing out; a server's own request or notification never fails one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answeredId } from '../../src/upstream/answered-id.ts';

const b = (s: string) => Buffer.from(s);
const unparsed = (text: string, pending: number[]) => answeredId(undefined, b(text).subarray(-256), b(text).subarray(0, 256), pending);

test('a message that parsed names its id; only a pending one counts', () => {
  assert.equal(answeredId({ jsonrpc: '2.0', id: 7, result: {}, error: {} }, b(''), b(''), [3, 7]), 7);
  assert.equal(answeredId({ jsonrpc: '2.0', id: 8, result: {} }, b(''), b(''), [3, 7]), undefined);
  assert.equal(answeredId(JSON.parse('{"jsonrpc":"2.0","id":3,"result":{"__proto__":{"x":1}}}'), b(''), b(''), [3]), 3);
});

test('a response with an unusable id can only be the sole call\'s; a request or notification is nobody\'s', () => {
  assert.equal(answeredId({ jsonrpc: '2.0', id: null, error: { code: 1, message: 'x' } }, b(''), b(''), [4]), 4);
  assert.equal(answeredId({ jsonrpc: '2.0', id: null, error: { code: 1, message: 'x' } }, b(''), b(''), [4, 5]), undefined);
  assert.equal(answeredId({ jsonrpc: '2.0', id: '4', result: {} }, b(''), b(''), [4]), 4);
  assert.equal(answeredId({ jsonrpc: '2.0', id: 4, method: '' }, b(''), b(''), [4]), undefined);
  assert.equal(answeredId({ jsonrpc: '2.0', method: 'notifications/x', params: 1 }, b(''), b(''), [4]), undefined);
  assert.equal(answeredId([{ id: 4 }], b(''), b(''), [4]), undefined);
});

test('invalid JSON: the id in its last bytes, else the sole call when it began like a response', () => {
  assert.equal(unparsed('{"result":{"content":[],},"jsonrpc":"2.0","id":12}', [11, 12]), 12);
  assert.equal(unparsed('{"jsonrpc":"2.0","id":12,"result":{"content":[,]}}', [12]), 12);
  assert.equal(unparsed('{"jsonrpc":"2.0","id":12,"result":{"content":[,]}}', [12, 13]), undefined);
  assert.equal(unparsed('{"jsonrpc":"2.0","method":"notifications/message","params":{,}}', [12]), undefined);
  assert.equal(unparsed('not JSON at all', [12]), undefined);
});
