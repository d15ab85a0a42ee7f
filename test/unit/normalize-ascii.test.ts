/**
 * normalize.ts reads printable ASCII without the steps that provably leave it as it is (removing
 * invisible characters, NFKC, the confusable fold), and only decodes it. These are the facts that
 * make that exact; if one ever stops holding (an ASCII character made invisible, or folded), the
 * short path would read text differently from the long one, and this fails.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CONFUSABLES } from '../../src/detect/confusables.ts';
import { stripInvisible } from '../../src/detect/invisible.ts';
import { normalize } from '../../src/detect/normalize.ts';

const PRINTABLE = `\t\n\r${Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('')}`;

test('printable ASCII: nothing invisible, NFKC-stable, no confusable', () => {
  const s = stripInvisible(PRINTABLE);
  assert.equal(s.text, PRINTABLE);
  assert.deepEqual(s.hidden, []);
  assert.equal(PRINTABLE.normalize('NFKC'), PRINTABLE);
  for (const ch of PRINTABLE) assert.ok(!CONFUSABLES.has(ch.codePointAt(0)!), JSON.stringify(ch));
});
