/**
 * The two argument guards that apply to every tool whatever rule allowed it, over every value of
 * the call (argument-leaves.ts), not only its top-level names:
 *
 * - client configuration files: the path-named values of a write-like tool (client-config-files.ts);
 * - private addresses: the URLs and hosts among the values (argument-destinations.ts), each
 *   through the SSRF guard (url-constraint.ts). Their DNS lookups run together, so a call with
 *   many names waits about one lookup, not one per name; the first denial in argument order decides.
 *
 * A walk the leaf limits cut short refuses the call: a value the guard did not see is not a value
 * it passed.
 */
import { kindOfName } from './argument-inference.ts';
import { leavesOf, pointerOf, type LeafWalk } from './argument-leaves.ts';
import { destinationsOf, type DestinationOptions } from './argument-destinations.ts';
import type { Step as GuardStep } from './argument-decision.ts';
import type { ClientConfigCheck } from './client-config-files.ts';
import type { Resolver, UrlCheck } from './url-constraint.ts';

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
    if (!r.ok) return deny(steps, `argumentGuards.${r.rule}`, r.reason, pointerOf(leaf));
    steps.push({ rule: 'argumentGuards.clientConfigWrites', argument: pointerOf(leaf), outcome: 'allow', reason: r.note });
  }
  return undefined;
}

/** The SSRF guard on every URL and host of the call; returns the denying step, if any. */
export async function privateAddressStep(leaves: () => LeafWalk, opts: DestinationOptions, guard: UrlCheck, resolve: Resolver, steps: GuardStep[]): Promise<GuardStep | undefined> {
  const walk = leaves();
  if (!walk.ok) return deny(steps, 'argumentGuards.privateAddresses', walk.reason);
  const found = destinationsOf(walk.leaves, opts);
  if (!found.ok) return deny(steps, 'argumentGuards.privateAddresses', found.reason, found.argument);
  const verdicts = await Promise.all(found.list.map((d) => guard(d.url, resolve)));
  for (let i = 0; i < verdicts.length; i++) {
    const r = verdicts[i];
    const argument = found.list[i].argument;
    if (!r.ok) return deny(steps, `argumentGuards.${r.rule}`, r.reason, argument);
    steps.push({ rule: 'argumentGuards.privateAddresses', argument, outcome: 'allow', reason: r.note });
  }
  return undefined;
}

function deny(steps: GuardStep[], rule: string, reason: string, argument?: string): GuardStep {
  const s: GuardStep = { rule, argument, outcome: 'deny', reason };
  steps.push(s);
  return s;
}
