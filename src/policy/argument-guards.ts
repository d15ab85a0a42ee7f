/**
 * The argument guards that apply to every tool whatever rule allowed it, over every value of
 * the call (argument-leaves.ts), not only its top-level names:
 *
 * - client configuration files: the path-named values of a write-like tool (client-config-files.ts).
 *
 * A walk the leaf limits cut short refuses the call: a value the guard did not see is not a value
 * it passed.
 */
import { kindOfName } from './argument-inference.ts';
import { leavesOf, type LeafWalk } from './argument-leaves.ts';
import type { Step as GuardStep } from './argument-decision.ts';
import type { ClientConfigCheck } from './client-config-files.ts';

/** The leaves of one call, walked at most once and only when a guard asks. */
export function lazyLeaves(args: unknown): () => LeafWalk {
  let walk: LeafWalk | undefined;
  return () => (walk ??= leavesOf(args));
}

/** Writes to client configuration files; returns the denying step, if any. */
export function clientConfigStep(leaves: () => LeafWalk, check: ClientConfigCheck, steps: GuardStep[]): GuardStep | undefined {
  const walk = leaves();
  if (!walk.ok) return deny(steps, 'argumentGuards.clientConfigFiles', walk.reason);
  for (const leaf of walk.leaves) {
    if (leaf.key === undefined || kindOfName(leaf.key) !== 'path') continue;
    const r = check(leaf.value);
    if (!r.ok) return deny(steps, `argumentGuards.${r.rule}`, r.reason, leaf.pointer);
    steps.push({ rule: 'argumentGuards.clientConfigWrites', argument: leaf.pointer, outcome: 'allow', reason: r.note });
  }
  return undefined;
}

function deny(steps: GuardStep[], rule: string, reason: string, argument?: string): GuardStep {
  const s: GuardStep = { rule, argument, outcome: 'deny', reason };
  steps.push(s);
  return s;
}
