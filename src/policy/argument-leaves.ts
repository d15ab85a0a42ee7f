/**
 * Every scalar inside a tool call's arguments, with where it sits.
 *
 * The argument guards (client configuration files, private addresses) used to look at top-level
 * argument names only, so `{request: {url}}`, `{requests: [{url}]}` or `{files: [{path}]}` went
 * past them. A server reads whatever it likes from wherever it likes; the guards walk it all.
 *
 * Bounded, and iterative (no recursion on attacker input): past `MAX_LEAF_DEPTH` levels or
 * `MAX_LEAVES` scalars the walk stops and the caller refuses the call, never "checks what it
 * could". The message limits (`maxNestingDepth`, `maxMessageSize`) already bound both well below
 * this; these are the guards' own backstop.
 */

export const MAX_LEAF_DEPTH = 64;
export const MAX_LEAVES = 100_000;

export interface Leaf {
  /** Where it is, for the audit record: `path`, `request.url`, `requests[0].url`. */
  pointer: string;
  /** The property names on the way, without array indices (`['requests', 'url']`). */
  keys: readonly string[];
  /** The nearest property name (an array element takes its array's name); undefined at the root. */
  key?: string;
  value: string | number | boolean | null;
}

export type LeafWalk = { ok: true; leaves: Leaf[] } | { ok: false; reason: string };

interface Frame {
  value: unknown;
  pointer: string;
  keys: readonly string[];
  depth: number;
}

/** The scalars of `args` in document order (depth-first, keys in insertion order). */
export function leavesOf(args: unknown): LeafWalk {
  const leaves: Leaf[] = [];
  const stack: Frame[] = [{ value: args, pointer: '', keys: [], depth: 0 }];
  while (stack.length) {
    const f = stack.pop()!;
    const v = f.value;
    if (v === null || typeof v !== 'object') {
      if (v === undefined) continue;
      if (leaves.length >= MAX_LEAVES) return { ok: false, reason: `more than ${MAX_LEAVES} values in the arguments; refused rather than partly checked` };
      leaves.push({ pointer: f.pointer, keys: f.keys, key: f.keys[f.keys.length - 1], value: v as Leaf['value'] });
      continue;
    }
    if (f.depth >= MAX_LEAF_DEPTH) return { ok: false, reason: `arguments nested deeper than ${MAX_LEAF_DEPTH} levels; refused rather than partly checked` };
    const children: Frame[] = [];
    if (Array.isArray(v)) {
      v.forEach((x, i) => children.push({ value: x, pointer: `${f.pointer}[${i}]`, keys: f.keys, depth: f.depth + 1 }));
    } else {
      for (const k of Object.keys(v)) {
        children.push({ value: (v as Record<string, unknown>)[k], pointer: f.pointer ? `${f.pointer}.${k}` : k, keys: [...f.keys, k], depth: f.depth + 1 });
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return { ok: true, leaves };
}

/** Is this leaf at or under the (dotted) argument name, e.g. `request.url` or `urls`? */
export function isUnder(leaf: Leaf, dotted: string): boolean {
  const parts = dotted.split('.');
  if (parts.length > leaf.keys.length) return false;
  return parts.every((p, i) => leaf.keys[i] === p);
}
