/**
 * The id of an oversized frame, from its first bytes only: the top-level id and nothing else (not
 * one inside params, not text inside a string), and nothing at all when it cannot be read with
 * certainty from the prefix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameId, ID_PREFIX_BYTES, ID_SUFFIX_BYTES, idFromPrefix, idFromSuffix } from '../../src/protocol/frame-id.ts';

const id = (text: string) => idFromPrefix(Buffer.from(text, 'utf8'));
const pad = 'x'.repeat(ID_PREFIX_BYTES * 2);

test('the top-level id, whatever follows it (the rest of the frame is never read)', () => {
  assert.equal(id(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"arguments":{"m":"${pad}"}}}`), 7);
  assert.equal(id(`{"id":"req-\\"1\\"","params":{"m":"${pad}`), 'req-"1"');
  assert.equal(id(` \n{ "jsonrpc" : "2.0" , "method":"tools/call", "params":{"a":[1,{"b":"}"}]}, "id" :\t42 ,"x":"${pad}`), 42);
  assert.equal(id(`{"i\\u0064":5,"p":"${pad}`), 5, 'an escaped key is the key a parser sees');
  assert.equal(id(`{"method":"x","id":-3}`), -3);
});

test('an id inside params, or inside a string, is not the request id', () => {
  assert.equal(id(`{"jsonrpc":"2.0","method":"tools/call","params":{"id":999,"arguments":{"id":998}},"x":"${pad}","id":1}`), null);
  assert.equal(id(`{"method":"tools/call","params":{"name":"echo","arguments":{"message":"\\",\\"id\\":666,\\"x\\":\\""}},"p":"${pad}`), null);
  assert.equal(id(`{"note":"{\\"id\\":3}","params":[{"id":4}],"p":"${pad}`), null);
});

test('nothing when the prefix cannot say for sure', () => {
  assert.equal(id(`{"p":"${pad}","id":1}`), null, 'the id lies beyond the prefix');
  assert.equal(idFromPrefix(Buffer.from(`{"a":1,"id":123456`).subarray(0, 14)), null, 'a number cut off by the end of the prefix');
  const cut = `{"a":"${'y'.repeat(ID_PREFIX_BYTES - 16)}","id":12345678}`;
  assert.equal(id(cut), null, 'the same, at the prefix boundary');
  assert.equal(id(`{"id":1,"id":2,"p":"${pad}`), null, 'two top-level ids');
  assert.equal(id(`[{"id":1}]`), null, 'a batch');
  assert.equal(id(`{"id":1.5,"p":"${pad}`), null, 'not an integer');
  assert.equal(id(`{"id":null}`), null);
  assert.equal(id(`{"id":{"x":1}}`), null);
  assert.equal(id(`{"id" 1}`), null, 'not JSON');
  assert.equal(id(''), null);
});

test('from the end: the root object\'s last member when it is the id (the v1 SDK writes id last)', () => {
  const sdk = (idJson: string) => Buffer.from(`{"method":"tools/call","params":{"arguments":{"m":"${pad}"}},"jsonrpc":"2.0","id":${idJson}}`);
  const tailOf = (b: Buffer) => b.subarray(b.length - ID_SUFFIX_BYTES);
  assert.equal(frameId(Buffer.alloc(0), tailOf(sdk('12'))), 12);
  assert.equal(idFromSuffix(tailOf(sdk('"a\\\\"'))), 'a\\', 'a string id ending in an escaped backslash');
  assert.equal(idFromSuffix(tailOf(sdk('"x\\"}"'))), 'x"}');
  assert.equal(idFromSuffix(Buffer.from(`{"id" : 3 }\r\n`)), 3);
  // Not the root's own id: nested, inside a string, or not the last member.
  assert.equal(idFromSuffix(Buffer.from(`…"params":{"arguments":{"id":5}}}`)), null);
  assert.equal(idFromSuffix(Buffer.from(`…"params":[{"id":5}]}`)), null);
  assert.equal(idFromSuffix(Buffer.from(`…"message":"x\\",\\"id\\":5"}`)), null);
  assert.equal(idFromSuffix(Buffer.from(`…"id":5,"jsonrpc":"2.0"}`)), null);
  // Cut off by the edge of the bytes kept.
  assert.equal(idFromSuffix(Buffer.from(`234567}`)), null);
  assert.equal(idFromSuffix(Buffer.from(`d":7}`)), null);
  assert.equal(idFromSuffix(Buffer.from(`…"id":7`)), null, 'no closing brace: not the end of an object');
  // The end wins over the start: a parser keeps the last of a repeated key.
  assert.equal(frameId(Buffer.from(`{"id":1,"p":"`), Buffer.from(`…","id":2}`)), 2);
  assert.equal(frameId(Buffer.from(`{"id":1,"p":"`), Buffer.from(`…","x":0}`)), 1);
});
