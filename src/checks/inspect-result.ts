/**
 * What a server answers, inspected before the agent reads it: every string of every answer to a
 * forwarded request, whatever shape it claims — tool results (content text, structuredContent,
 * embedded resources), resource contents, prompt messages, completions, task results, the root
 * `_meta`, and JSON-RPC errors (`message`, `data`). The attacker's text arrives here (indirect
 * prompt injection), and so do leaked secrets. Nothing a server writes switches this off: a
 * `task` object or a `resultType` once skipped the stage and an injection and a GitHub token went
 * through verbatim, and error messages were never read.
 *
 * One pass over the decoded answer (inspect-strings.ts). Nothing found: the response is not
 * touched and the server's bytes are forwarded as they came (the splice fast path). Something
 * changed (terminal controls stripped, spans redacted): a new result or error, `resultChanged`
 * set. Quarantine: the agent gets a short notice instead (an error keeps its code, its message
 * becomes the notice), the original goes to the quarantine store for an operator (`portcullis
 * quarantine`); an answer no notice can stand in for (a task handle, completions) is stored and
 * then withheld like a block. Block: the call answers with CONTENT_BLOCKED. A store that cannot
 * keep the original (Redis away, disk full) never lets the result through: it is withheld like a
 * block, and the audit says the original could not be kept.
 *
 * Last of the response stages: after validateResult, so only well-formed results are read.
 */
import { GatewayError } from '../errors.ts';
import type { Finding } from '../detect/finding.ts';
import { classifierFor } from '../inspect/classifier-for.ts';
import { calledTool } from '../inspect/custom-rules.ts';
import { inspectLeaves, type Verdict } from '../inspect/inspect-strings.ts';
import { reportFindings } from '../inspect/report-findings.ts';
import { collectLeaves, withLeaves, type Leaf } from '../inspect/string-leaves.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { JsonRpcResponse } from '../protocol/envelope.ts';
import type { CallContext } from '../pipeline/types.ts';

export function quarantineNotice(id: string, f: Finding): string {
  const what = f.category === 'secret' || f.category === 'pii' ? 'sensitive data' : 'possible prompt injection';
  return `[Portcullis quarantined this result: ${what} (rule ${f.rule}). An operator can review it as ${id}.]`;
}

/** The result that replaces a quarantined one, valid for its method; undefined when none is. */
function noticeResult(ctx: CallContext, original: Record<string, unknown>, text: string): Record<string, unknown> | undefined {
  const method = ctx.method;
  // A task handle (CreateTaskResult) the client asked for has no room for a notice.
  if (isObject(original.task) && isObject(ctx.req.params?.task)) return undefined;
  if (method === 'resources/read') {
    const first = (original.contents as Array<{ uri?: unknown }> | undefined)?.[0];
    return { contents: [{ uri: typeof first?.uri === 'string' ? first.uri : 'portcullis:quarantine', mimeType: 'text/plain', text }] };
  }
  if (method === 'prompts/get') return { messages: [{ role: 'user', content: { type: 'text', text } }] };
  // isError: the tool ran, but its output is withheld; a structured result would have to
  // satisfy the tool's outputSchema, an error result need not.
  if (method === 'tools/call' || method === 'tasks/result') return { content: [{ type: 'text', text }], isError: true };
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every string leaf of the answer; an error's `message` is text a client shows (terminal controls are stripped). */
function leavesOf(res: JsonRpcResponse): Leaf[] {
  if (res.result) return collectLeaves(res.result);
  return collectLeaves(res.error, '/error').map((l) => (l.keys.length === 1 && l.keys[0] === 'message' ? { ...l, isText: true } : l));
}

export const inspectResult: Stage<CallContext> = async (ctx, next) => {
  const cfg = ctx.security.inspection;
  const res = ctx.response;
  if (cfg.enabled && res && (res.result || res.error)) {
    const v = await inspectLeaves(leavesOf(res), cfg, 'result', classifierFor(ctx.services, cfg.injection.classifier), calledTool(ctx));
    const withhold = (verdict: Verdict, quarantineId?: string, note?: string): never => {
      reportFindings(ctx, verdict, 'result', quarantineId);
      ctx.audit.decision = 'deny';
      if (note) ctx.audit.reason = `${ctx.audit.reason}; ${note}`;
      throw new GatewayError('CONTENT_BLOCKED', 'The gateway withheld this result', { detail: ctx.audit.reason });
    };
    if (v.block) withhold(v);
    if (v.quarantine) {
      const meta = {
        server: ctx.target?.server.name, tool: ctx.target?.name, method: ctx.method, session: ctx.session.id, principal: ctx.session.principal.subject,
        findings: v.acted.map(({ finding: f }) => ({ rule: f.rule, category: f.category, severity: f.severity, path: f.path, ...(f.score !== undefined ? { score: f.score } : {}) })),
      };
      // The original as the server sent it, when the frame allowed splicing it out.
      const original = res.result ? (ctx.resultRaw?.toString('utf8') ?? JSON.stringify(res.result)) : JSON.stringify({ error: res.error });
      const id = await ctx.services.quarantine.put(meta, original).catch((err: Error) =>
        withhold(v, undefined, `the original could NOT be kept for review (quarantine store: ${(err as GatewayError).detail ?? err.message}); withheld like a block`),
      );
      const notice = quarantineNotice(id, v.quarantine);
      const result = res.result && noticeResult(ctx, res.result, notice);
      if (res.result && !result) withhold({ ...v, block: v.quarantine }, id);
      reportFindings(ctx, v, 'result', id);
      ctx.response = result ? { ...res, result } : { ...res, error: { code: res.error!.code, message: notice } };
      ctx.resultChanged = true;
    } else {
      if (v.acted.length || v.sanitized.length) reportFindings(ctx, v, 'result');
      if (v.changes.length) {
        ctx.response = res.result ? { ...res, result: withLeaves(res.result, v.changes) } : { ...res, error: withLeaves(res.error!, v.changes) };
        ctx.resultChanged = true;
      }
    }
  }
  await next();
};
