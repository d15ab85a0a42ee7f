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
import { redactSpans } from '../detect/redact-spans.ts';
import { inspectLeaves, labelOf, type Verdict } from '../inspect/inspect-strings.ts';
import { reportFindings } from '../inspect/report-findings.ts';
import { collectLeaves, withLeaves, type Leaf } from '../inspect/string-leaves.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const inspectArguments: Stage<CallContext> = async (ctx, next) => {
  const cfg = ctx.security.inspection;
  const params = ctx.req.params;
  const args = params?.arguments;
  if (cfg.enabled && params && args && typeof args === 'object' && (ctx.method === 'tools/call' || ctx.method === 'prompts/get')) {
    const leaves = collectLeaves(args, '/arguments');
    const v = await inspectLeaves(leaves, cfg, 'argument', classifierFor(ctx.gateway, cfg.injection.classifier));
    if (v.acted.length) reportFindings(ctx, v, 'argument');
    // The audit record keeps the arguments (level detailed): never with the secret it refused or flagged.
    const forAudit = secretsRedacted(args, leaves, v);
    if (forAudit !== undefined) ctx.auditArguments = forAudit;
    if (v.block) {
      ctx.audit.decision = 'deny';
      throw new GatewayError('CONTENT_BLOCKED', 'The gateway refused this request', { detail: ctx.audit.reason });
    }
    if (v.changes.length) ctx.req = { ...ctx.req, params: { ...params, arguments: withLeaves(args, v.changes) } };
  }
  await next();
};

/** The arguments with every secret/PII span redacted, when there is one (whatever its action). */
function secretsRedacted(args: object, leaves: readonly Leaf[], v: Verdict): unknown {
  const dlp = v.acted.filter((a) => a.finding.category === 'secret' || a.finding.category === 'pii');
  if (!dlp.length) return undefined;
  const changes: Array<{ keys: Array<string | number>; value: string }> = [];
  for (const leaf of leaves) {
    const spans = dlp.filter((a) => a.finding.path === leaf.path).map(({ finding: f }) => ({ start: f.start ?? 0, end: f.end ?? leaf.text.length, label: labelOf(f) }));
    if (spans.length) changes.push({ keys: leaf.keys, value: leaf.base64 ? '[REDACTED]' : redactSpans(leaf.text, spans) });
  }
  return withLeaves(args, changes);
}
