/**
 * The newline splitter under both stdio directions (client stdin, server stdout): lines whole
 * however the bytes arrive, CR of a CRLF dropped, empty lines skipped, a line over the cap
 * reported once (with its first and last bytes) and never delivered, a runaway line reported
 * while it is still being written.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { LineSplitter } from '../../src/upstream/line-splitter.ts';

function splitter(max: number, runawayAt?: number) {
  const lines: string[] = [];
  const oversize: Array<{ n: number; head: string; tail: string }> = [];
  const runaway: Array<{ n: number; head: string; tail: string }> = [];
  const s = new LineSplitter(
    max,
    (l) => lines.push(l.toString()),
    (n, tail, head) => oversize.push({ n, head: head.toString(), tail: tail.toString() }),
    runawayAt === undefined ? undefined : { maxBytes: runawayAt, onRunaway: (n, tail, head) => runaway.push({ n, head: head.toString(), tail: tail.toString() }) },
    { head: 4, tail: 4 },
  );
  return { s, lines, oversize, runaway };
}

const push = (s: LineSplitter, ...parts: string[]) => parts.forEach((p) => s.push(Buffer.from(p)));

test('lines come out whole however the bytes are cut; CRLF loses its CR; empty lines are skipped', () => {
  const { s, lines } = splitter(100);
  push(s, 'one\ntwo\r\n\n\r\nthr', 'ee', '\nfo', 'ur\r', '\n', 'five');
  assert.deepEqual(lines, ['one', 'two', 'three', 'four']);
  push(s, '\n');
  assert.deepEqual(lines, ['one', 'two', 'three', 'four', 'five']);
});

test('every byte of every chunking gives the same lines', () => {
  const text = 'a\nbb\r\nccc\n\ndddd\n';
  for (let cut = 0; cut <= text.length; cut++) {
    const { s, lines } = splitter(100);
    push(s, text.slice(0, cut), text.slice(cut));
    assert.deepEqual(lines, ['a', 'bb', 'ccc', 'dddd'], `cut at ${cut}`);
  }
});

test('a line over the cap is reported once with its size, head and tail, and not delivered; the next line is', () => {
  const { s, lines, oversize } = splitter(8);
  push(s, 'ok\n0123', '456789', 'abcdef\nnext\n');
  assert.deepEqual(lines, ['ok', 'next']);
  assert.deepEqual(oversize, [{ n: 16, head: '0123', tail: 'cdef' }]);
  // Exactly the cap is a line; one byte more is not (a lone chunk as much as a cut one).
  push(s, '12345678\n123456789\n1234', '5678\n');
  assert.deepEqual(lines, ['ok', 'next', '12345678', '12345678']);
  assert.equal(oversize.length, 2);
  assert.equal(oversize[1]!.n, 9);
});

test('a line still growing past the runaway limit is reported while it is written, and not again at its end', () => {
  const { s, lines, oversize, runaway } = splitter(8, 20);
  push(s, '0123456789', '0123456789');
  assert.equal(runaway.length, 0);
  push(s, 'x');
  assert.deepEqual(runaway, [{ n: 21, head: '0123', tail: '789x' }]);
  push(s, 'yyyy\nafter\n');
  assert.equal(runaway.length, 1);
  assert.equal(oversize.length, 0);
  assert.deepEqual(lines, ['after']);
});
