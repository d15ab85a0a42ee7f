/**
 * Which strings of a message a reader takes in one after the other, so the DLP scan can look for a
 * secret split between them (dlp.ts `joinWith`): a server that answers `AKIAQYLP` in one text
 * block and `MN5HHHFPZAM2` in the next has sent the model one key id in two pieces, and an
 * injected agent can split a token over two arguments the same way.
 *
 * Two leaves are read together when they are siblings of the same kind: the same depth, the same
 * keys but at one place, where they are consecutive array indices (`/content/0/text`,
 * `/content/1/text`) or two keys of one object (`/arguments/a`, `/arguments/b`). Each leaf is
 * paired with the first such leaf after it among the next few (collectLeaves emits a block's
 * `type` between two `text`s); linear in the number of leaves.
 */
import type { Leaf } from './string-leaves.ts';

/** How far ahead a sibling is looked for: a content block has a few string fields. */
const LOOKAHEAD = 8;

function siblings(a: Leaf, b: Leaf): boolean {
  if (a.keys.length !== b.keys.length || a.keys.length === 0) return false;
  let at = -1;
  for (let i = 0; i < a.keys.length; i++) {
    if (a.keys[i] === b.keys[i]) continue;
    if (at >= 0) return false;
    at = i;
  }
  if (at < 0) return false;
  const x = a.keys[at]!;
  const y = b.keys[at]!;
  if (typeof x === 'number' && typeof y === 'number') return y === x + 1;
  return typeof x === 'string' && typeof y === 'string' && at === a.keys.length - 1;
}

/** For each leaf, the index of the leaf read right after it, if any. */
export function readTogether(leaves: readonly Leaf[]): Array<number | undefined> {
  return leaves.map((a, i) => {
    for (let j = i + 1; j < leaves.length && j <= i + LOOKAHEAD; j++) if (siblings(a, leaves[j]!)) return j;
    return undefined;
  });
}
