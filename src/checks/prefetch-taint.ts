/**
 * The session's taint, read early. `constrainArguments` needs it (flow rules, CEL `session.labels`)
 * and, on shared state, reading it is a round trip to Redis; so is the rate-limit script `throttle`
 * runs first. Started before the buckets are taken, the two round trips overlap instead of
 * adding up (issue 19's per-call budget). The read is the same one `constrainArguments` would make
 * one stage later: a taint added in between by a concurrent call of the same session is missed
 * here as it could be there (taint is written after an answer; concurrent calls race either way).
 * A refusal before the taint is used leaves the read unused; its failure then goes nowhere.
 */
import type { CallContext } from '../pipeline/types.ts';
import { flowKey } from './constrain-flow.ts';

/** Starts reading the taint of a tool call's session into `ctx.taint` (nothing for other requests). */
export function prefetchTaint(ctx: CallContext): void {
  if (ctx.method !== 'tools/call' || !ctx.target?.tool) return;
  ctx.taint = Promise.resolve().then(() => ctx.services.policy.flows.labels(flowKey(ctx)));
  ctx.taint.catch(() => {}); // awaited (and its error thrown) by the stage that uses it, if any
}
