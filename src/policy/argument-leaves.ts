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
 * this; these are the guards' own backstop. Where a leaf sits is kept as a link to its parent and
 * spelled out only when asked (for the audit record, or a rule's `argument:`), so walking a large
 * batch costs one small object per value.
 */

export const MAX_LEAF_DEPTH = 64;
export const MAX_LEAVES = 100_000;

/** One step of the way down: a property name or an array index, and where it hangs. */
interface Place {
  key?: string;
  index?: number;
  parent?: Place;
}

export interface Leaf {
  /** The nearest property name (an array element takes its array's name); undefined at the root. */
  key?: string;
  value: string | number | boolean | null;
  place?: Place;
}

export type LeafWalk = { ok: true; leaves: Leaf[] } | { ok: false; reason: string };

interface Frame {
  value: unknown;
  place?: Place;
  key?: string;
  depth: number;
}

/** The scalars of `args` in document order (depth-first, keys in insertion order). */
export function leavesOf(args: unknown): LeafWalk {
  const leaves: Leaf[] = [];
  const stack: Frame[] = [{ value: args, depth: 0 }];
  while (stack.length) {
    const f = stack.pop()!;
    const v = f.value;
    if (v === null || typeof v !== 'object') {
      if (v === undefined) continue;
      if (leaves.length >= MAX_LEAVES) return { ok: false, reason: `more than ${MAX_LEAVES} values in the arguments; refused rather than partly checked` };
      leaves.push({ key: f.key, value: v as Leaf['value'], place: f.place });
      continue;
    }
    if (f.depth >= MAX_LEAF_DEPTH) return { ok: false, reason: `arguments nested deeper than ${MAX_LEAF_DEPTH} levels; refused rather than partly checked` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], place: { index: i, parent: f.place }, key: f.key, depth: f.depth + 1 });
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        stack.push({ value: (v as Record<string, unknown>)[k], place: { key: k, parent: f.place }, key: k, depth: f.depth + 1 });
      }
    }
  }
  return { ok: true, leaves };
}

/** Where it is, for the audit record: `path`, `request.url`, `requests[0].url`. */
export function pointerOf(leaf: Leaf): string {
  const way: Place[] = [];
  for (let p = leaf.place; p; p = p.parent) way.unshift(p);
  return way.map((p, i) => (p.key === undefined ? `[${p.index}]` : i === 0 ? p.key : `.${p.key}`)).join('');
}

/** The property names on the way down, without array indices (`['requests', 'url']`). */
export function keysOf(leaf: Leaf): string[] {
  const out: string[] = [];
  for (let p = leaf.place; p; p = p.parent) if (p.key !== undefined) out.unshift(p.key);
  return out;
}

/** Is this leaf at or under one of the (dotted) argument names, e.g. `request.url` or `urls`? */
export function isUnderAny(leaf: Leaf, dotted: readonly string[]): boolean {
  if (dotted.length === 0) return false;
  const keys = keysOf(leaf);
  return dotted.some((d) => {
    const parts = d.split('.');
    return parts.length <= keys.length && parts.every((p, i) => keys[i] === p);
  });
}
