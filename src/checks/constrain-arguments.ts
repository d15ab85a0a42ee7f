/**
 * Argument-level policy (policy/argument-decision.ts): flow rules, client configuration files,
 * the rule's CEL condition, operands, paths, SQL and URLs, the private-address guard, quotas.
 * After `validateArguments`, so every value has the type the tool's schema declares, and last
 * before `forward`, so a quota is spent only by calls that passed everything else.
 *
 * A denial is opaque on the wire (POLICY_DENIED, or QUOTA_EXCEEDED with `retryAfterSeconds`); the
 * audit record names the rule and the argument. After the server answers, a successful result
 * taints the session with the tool's labels (resources and prompts: constrain-flow.ts).
 */
import { GatewayError } from '../errors.ts';
import { isModern } from '../protocol/revisions.ts';
import { decideArguments } from '../policy/argument-decision.ts';
import type { RuleObject } from '../policy/compiled-rules.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import { constrainFlow, flowKey } from './constrain-flow.ts';

export const constrainArguments: Stage<CallContext> = async (ctx, next) => {
  const t = ctx.target;
  // Resources and prompts have no argument rules, but their results taint like a tool's.
  if ((ctx.method === 'resources/read' || ctx.method === 'prompts/get') && t?.name) return constrainFlow(ctx, next);
  if (ctx.method !== 'tools/call' || !t?.tool || !t.name) {
    await next();
    return;
  }
  const gw = ctx.services;
  const d = gw.decide('tool', t.server.name, t.name, ctx.session.principal);
  const matched = d.allowed && d.matchedRule && typeof d.matchedRule !== 'string' ? { label: d.rule, rule: d.matchedRule as RuleObject } : undefined;
  const key = flowKey(ctx);
  const s = ctx.session;
  const rt = gw.policy;
  const taint = await (ctx.taint ?? rt.flows.labels(key)); // ctx.taint: started by throttle (prefetch-taint.ts)
  const decision = await decideArguments(
    ctx.security,
    matched,
    {
      server: t.server.name,
      tool: t.name,
      servers: gw.namespacer.serverNames,
      def: t.tool.def,
      args: (ctx.req.params?.arguments ?? {}) as Record<string, unknown>,
      principal: s.principal,
      session: { id: s.id, labels: taint, protocolVersion: ctx.protocolVersion, client: s.clientInfo },
      nowMs: Date.now(),
    },
    {
      quotas: rt.quotas,
      resolve: rt.resolver(ctx.security.argumentGuards.dnsTimeoutSeconds * 1000),
      consume: true,
      // A 2026-07-28 retry after input_required continues a call counted when it started (a forged
      // requestState is refused by forward): its arguments are checked again, its quota is not.
      skipQuotas: isModern(ctx.protocolVersion) && ctx.req.params?.requestState !== undefined,
    },
  );
  if (!decision.allowed) {
    const step = decision.denied!;
    ctx.audit.decision = 'deny';
    ctx.audit.rule = step.rule;
    ctx.audit.argument = step.argument;
    ctx.audit.reason = `tool '${t.name}' on '${t.server.name}'${step.argument ? `, argument '${step.argument}'` : ''}: ${step.reason}`;
    if (decision.retryAfterSeconds !== undefined) {
      throw new GatewayError('QUOTA_EXCEEDED', `Quota exceeded; retry after ${decision.retryAfterSeconds}s`, { data: { retryAfterSeconds: decision.retryAfterSeconds } });
    }
    throw new GatewayError('POLICY_DENIED', 'Request refused by policy');
  }
  await next();
  // A taint the session already carries is not written again (a round trip saved on shared state).
  if (decision.labels.some((l) => !taint.has(l)) && ctx.response?.result && !ctx.error) await rt.flows.taint(key, decision.labels);
};
