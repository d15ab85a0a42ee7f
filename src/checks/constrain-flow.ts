/**
 * Flow rules for `resources/read` and `prompts/get` (the tool side is in argument-decision.ts).
 * A flow rule that only watched tool results was side-stepped by reading the same private
 * document as a resource (or getting a prompt that embeds it) and then calling the sink: the
 * session was never tainted. Here a resource or prompt carrying a label (`resourceLabels`,
 * `promptLabels`) taints the session when it is read, and one carrying a `deny` label is refused
 * in a tainted session like a tool would be (a resource template's values, or a prompt's
 * arguments, can carry data out as well as a tool's).
 *
 * It runs where `constrainArguments` runs (the same position in the chain, chain.ts step 10).
 */
import { GatewayError } from '../errors.ts';
import { compileGuards } from '../policy/compiled-rules.ts';
import { violatedFlowRule } from '../policy/flow-rules.ts';
import type { CallContext } from '../pipeline/types.ts';

/** A stateless 2026-07-28 request has no session: its taint is the caller's at its network peer. */
export function flowKey(ctx: CallContext): string {
  const s = ctx.session;
  return s.stateless ? `p:${s.principal.subject}@${s.connection.replace(/:\d+$/, '')}` : `s:${s.id}`;
}

export async function constrainFlow(ctx: CallContext, next: () => Promise<void>): Promise<void> {
  const t = ctx.target!;
  const kind = t.kind === 'prompt' ? 'prompt' : 'resource';
  const guards = compileGuards(ctx.security);
  const gw = ctx.services;
  const labels = (kind === 'prompt' ? guards.promptLabels : guards.resourceLabels).labelsOf({ kind, server: t.server.name, name: t.name!, servers: gw.namespacer.serverNames });
  if (labels.length === 0) {
    await next();
    return;
  }
  const key = flowKey(ctx);
  const taint = await gw.policy.flows.labels(key);
  const flow = violatedFlowRule(guards.flowRules, taint, labels, kind);
  if (flow) {
    ctx.audit.decision = 'deny';
    ctx.audit.rule = flow.rule;
    ctx.audit.reason = `${kind} '${t.name}' on '${t.server.name}': ${flow.reason}`;
    throw new GatewayError('POLICY_DENIED', 'Request refused by policy');
  }
  await next();
  if (labels.some((l) => !taint.has(l)) && ctx.response?.result && !ctx.error) await gw.policy.flows.taint(key, labels);
}
