/**
 * canonical-json.ts against RFC 8785's own vectors, and the `__proto__` key the fast path used to
 * drop. The audit chain hashes these bytes (hash-chain.ts) and pins hash tool definitions with
 * them (pin-definition.ts), so any change in output for an existing input is a break.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalJson } from '../../src/audit/canonical-json.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'canonical-json');

for (const name of readdirSync(join(dir, 'input'))) {
  test(`RFC 8785 vector ${name}`, () => {
    const input = JSON.parse(readFileSync(join(dir, 'input', name), 'utf8')) as unknown;
    const expected = readFileSync(join(dir, 'output', name));
    assert.deepEqual(Buffer.from(canonicalJson(input), 'utf8'), expected);
  });
}

test('RFC 8785 Appendix B number serialization', () => {
  const rows = JSON.parse(readFileSync(join(dir, 'appendix-b-numbers.json'), 'utf8')) as [string, string, string][];
  const view = new DataView(new ArrayBuffer(8));
  for (const [hex, expected, note] of rows) {
    view.setBigUint64(0, BigInt(`0x${hex}`));
    const n = view.getFloat64(0);
    assert.equal(canonicalJson(n), expected, `${hex} ${note}`);
    // Both paths: inside an ordinary object (fast) and beside an integer-like key (explicit).
    assert.equal(canonicalJson({ n }), `{"n":${expected}}`, hex);
    assert.equal(canonicalJson({ n, 1: 0 }), `{"1":0,"n":${expected}}`, hex);
  }
});

test('a __proto__ key is kept as a member on both paths, never dropped or turned into a prototype', () => {
  const fast = JSON.parse('{"b":1,"__proto__":{"isAdmin":true},"a":[{"__proto__":"x"}]}') as unknown;
  assert.equal(canonicalJson(fast), '{"__proto__":{"isAdmin":true},"a":[{"__proto__":"x"}],"b":1}');
  const explicit = JSON.parse('{"10":0,"__proto__":{"isAdmin":true}}') as unknown;
  assert.equal(canonicalJson(explicit), '{"10":0,"__proto__":{"isAdmin":true}}');
  assert.equal(({} as { isAdmin?: boolean }).isAdmin, undefined);
});

test('the deliberate deviations stay as JSON.stringify writes them (an audit record is always written)', () => {
  assert.equal(canonicalJson({ a: NaN, b: Infinity, c: undefined, d: [undefined] }), '{"a":null,"b":null,"d":[null]}');
  assert.equal(canonicalJson({ s: '\ud800' }), '{"s":"\\ud800"}');
});
