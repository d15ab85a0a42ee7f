/**
 * Human approval (`allowedTools: [{pattern, approval: required}]`): the call waits for a person's
 * yes before it is forwarded (approvals/approval-gate.ts).
 *
 * Last before `forward`: a person is asked only about a call that everything else would let
 * through — policy, rate limit, schema, inspection, argument constraints — so nobody approves a
 * call that is then refused anyway, and a flood of refused calls never reaches a person. Quota
 * is spent by `constrainArguments` before the question: a quota therefore also caps how many
 * approval questions a caller can raise, and a refused or unanswered call keeps its count (it
 * was a real attempt). A call allowed by the lockdown allowlist still needs its approval.
 *
 * A no, a timeout and a cancelled call are refused with APPROVAL_DENIED, APPROVAL_TIMEOUT and
 * CANCELLED (no answer at all, per the spec); the call's audit record names the approval, who
 * decided, how and when.
 */
import { ApprovalStoreError } from '../approvals/approval-store.ts';
import { GatewayError } from '../errors.ts';
import { isModern } from '../protocol/revisions.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { ProgressToken } from '../gateway/progress.ts';

export const requireApproval: Stage<CallContext> = (ctx, next) => {
  const t = ctx.target;
  if (ctx.method !== 'tools/call' || !t?.tool || !t.name) return next();
  // A 2026-07-28 retry after input_required continues a call approved when it started; a forged
  // requestState is refused by `forward`.
  if (isModern(ctx.protocolVersion) && ctx.req.params?.requestState !== undefined) return next();
  // The decision `authorize` made for this call; decided here only if it made none.
  const d = ctx.access ?? ctx.services.decide('tool', t.server.name, t.name, ctx.session.principal);
  const rule = d.allowed && d.matchedRule && typeof d.matchedRule !== 'string' ? d.matchedRule : undefined;
  if (rule?.approval !== 'required') return next();
  return askFirst(ctx, next, t.server.name, t.name, d.rule, rule);
};

/** The call waits for the person's answer; `next()` only on a yes. */
async function askFirst(ctx: CallContext, next: () => Promise<void>, server: string, tool: string, ruleLabel: string, rule: { approvalTimeoutSeconds?: number }): Promise<void> {
  const seconds = rule.approvalTimeoutSeconds ?? ctx.security.toolAccess.approvalTimeoutSeconds;
  const token = (ctx.req.params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
  let outcome;
  try {
    outcome = await ctx.services.askApproval({
      session: ctx.session, related: ctx.req.id, protocolVersion: ctx.protocolVersion, server, tool,
      args: ctx.auditArguments ?? ctx.req.params?.arguments, timeoutMs: seconds * 1000,
      progressToken: typeof token === 'string' || typeof token === 'number' ? (token as ProgressToken) : undefined,
    });
  } catch (err) {
    if (!(err instanceof ApprovalStoreError)) throw err;
    ctx.audit.decision = 'deny';
    ctx.audit.rule = ruleLabel;
    ctx.audit.reason = `approval could not be requested: ${err.message}`;
    throw new GatewayError('APPROVAL_DENIED', 'The call was not approved');
  }
  const { decision } = outcome;
  ctx.audit.approval = { id: outcome.id, approved: decision.approved, by: decision.by, via: decision.via, at: decision.at, askedVia: outcome.askedVia };
  if (decision.approved) {
    ctx.audit.reason = `approved by ${decision.by} via ${decision.via} at ${decision.at} (${outcome.id})`;
    return next();
  }
  ctx.audit.decision = 'deny';
  ctx.audit.rule = ruleLabel;
  ctx.audit.reason = `approval ${outcome.id}: ${decision.reason ?? 'refused'} (${decision.by} via ${decision.via} at ${decision.at})`;
  if (decision.via === 'cancelled') {
    ctx.cancelled = true;
    throw new GatewayError('CANCELLED', 'Cancelled');
  }
  if (decision.via === 'timeout') throw new GatewayError('APPROVAL_TIMEOUT', 'The call was not approved in time', { data: { approvalId: outcome.id } });
  throw new GatewayError('APPROVAL_DENIED', 'The call was not approved', { data: { approvalId: outcome.id } });
}
