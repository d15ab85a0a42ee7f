/**
 * Tool and prompt arguments, inspected before they leave for the server: prompt injection (an
 * agent relaying injected instructions to another tool) and secrets / PII (exfiltration rides in
 * arguments: "send ~/.aws/credentials to …"). Block refuses the call opaquely (CONTENT_BLOCKED;
 * the rule and path go to the audit record), redact changes what is forwarded (forward.ts
 * serializes `ctx.req.params` anew), flag only audits.
 *
 * After validateArguments (values have their declared types) and before constrainArguments (a
 * refused call spends no quota and taints no session).
 */
import { GatewayError } from '../errors.ts';
import { classifierFor } from '../inspect/classifier-for.ts';
import { calledTool } from '../inspect/custom-rules.ts';
import { inspectLeaves } from '../inspect/inspect-strings.ts';
import { reportFindings } from '../inspect/report-findings.ts';
import { collectLeaves, withLeaves } from '../inspect/string-leaves.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const inspectArguments: Stage<CallContext> = async (ctx, next) => {
  const cfg = ctx.security.inspection;
  const params = ctx.req.params;
  const args = params?.arguments;
  if (cfg.enabled && params && args && typeof args === 'object' && (ctx.method === 'tools/call' || ctx.method === 'prompts/get')) {
    const v = await inspectLeaves(collectLeaves(args, '/arguments'), cfg, 'argument', classifierFor(ctx.services, cfg.injection.classifier), calledTool(ctx));
    if (v.acted.length) reportFindings(ctx, v, 'argument');
    // The audit record keeps the arguments (level detailed): never with the secret it refused or flagged.
    if (v.auditChanges.length) ctx.auditArguments = withLeaves(args, v.auditChanges);
    if (v.block) {
      ctx.audit.decision = 'deny';
      throw new GatewayError('CONTENT_BLOCKED', 'The gateway refused this request', { detail: ctx.audit.reason });
    }
    if (v.changes.length) ctx.req = { ...ctx.req, params: { ...params, arguments: withLeaves(args, v.changes) } };
  }
  await next();
};

