/**
 * An RE2.Set pass given re2SetInput(s) must report exactly what it reports given s itself
 * (src/detect/re2-input.ts): the DLP and custom-rule passes rely on it. Lone surrogates are where
 * node-re2's own conversion and Buffer.from differ; handing their bytes over would fail this.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import RE2 from 're2';
import { re2SetInput } from '../../src/detect/re2-input.ts';

const PATTERNS = ['\\x{FFFD}', 'a\\x{FFFD}b', '^x', 'x$', 'é', 'e\\x{0301}', '\\x{1F600}', '\\x{1F600}\\x{FFFD}', '[^a-z]', '^.{3}$', '\\bkey\\b', '(?i)ÄÖ'];
const STRINGS = [
  '', 'x', 'plain ascii key', 'é', 'e\u0301', 'äö', '😀', 'a😀b', '😀😀😀', 'x'.repeat(2000),
  '\ud800', 'a\ud800b', 'a\udc00b', 'x\ud83d', '😀\ud83d', '\ude00😀', `${'x'.repeat(1000)}\udfff`, '\ufffd', 'a\ufffdb',
];

test('a set pass over re2SetInput(s) matches the same patterns as over s', () => {
  const set = new RE2.Set(PATTERNS, 'u');
  for (const s of STRINGS) assert.deepEqual(set.match(re2SetInput(s)).sort(), set.match(s).sort(), JSON.stringify(s));
});

test('well-formed strings are handed over as their UTF-8 bytes, others as they are', () => {
  for (const s of ['', 'ascii', 'é', '😀', 'a😀b']) assert.ok(Buffer.isBuffer(re2SetInput(s)), JSON.stringify(s));
  for (const s of ['\ud800', 'a\udc00b', '😀\ud83d']) assert.equal(re2SetInput(s), s);
});
