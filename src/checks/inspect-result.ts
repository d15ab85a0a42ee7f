/**
 * What a server answers, inspected before the agent reads it: tool results (content text,
 * structuredContent strings, embedded resources), resource contents and prompt messages. The
 * attacker's text arrives here (indirect prompt injection), and so do leaked secrets.
 *
 * One pass over the decoded result (inspect-strings.ts). Nothing found: the response is not
 * touched and the server's bytes are forwarded as they came (the splice fast path). Something
 * changed (terminal controls stripped, spans redacted): a new result, `resultChanged` set.
 * Quarantine: the agent gets a short notice instead, the original goes to the quarantine store
 * for an operator (`portcullis quarantine`). Block: the call answers with CONTENT_BLOCKED.
 *
 * Last of the response stages: after validateResult, so only well-formed results are read.
 */
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import type { Finding } from '../detect/finding.ts';
import { classifierFor } from '../inspect/classifier-for.ts';
import { inspectLeaves } from '../inspect/inspect-strings.ts';
import { reportFindings } from '../inspect/report-findings.ts';
import { collectLeaves, withLeaves } from '../inspect/string-leaves.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import { quarantineStore } from '../quarantine/quarantine-store.ts';

/** Methods whose results carry content an agent reads (tasks/result: a task's tool result). */
const INSPECTED = new Set(['tools/call', 'prompts/get', 'resources/read', 'tasks/result']);

export function quarantineNotice(id: string, f: Finding): string {
  const what = f.category === 'secret' || f.category === 'pii' ? 'sensitive data' : 'possible prompt injection';
  return `[Portcullis quarantined this result: ${what} (rule ${f.rule}). An operator can review it as ${id}.]`;
}

/** The result that replaces a quarantined one, valid for its method. */
function noticeResult(method: string, original: Record<string, unknown>, text: string): Record<string, unknown> {
  if (method === 'resources/read') {
    const first = (original.contents as Array<{ uri?: unknown }> | undefined)?.[0];
    return { contents: [{ uri: typeof first?.uri === 'string' ? first.uri : 'portcullis:quarantine', mimeType: 'text/plain', text }] };
  }
  if (method === 'prompts/get') return { messages: [{ role: 'user', content: { type: 'text', text } }] };
  // isError: the tool ran, but its output is withheld; a structured result would have to
  // satisfy the tool's outputSchema, an error result need not.
  return { content: [{ type: 'text', text }], isError: true };
}

export const inspectResult: Stage<CallContext> = async (ctx, next) => {
  const cfg = ctx.security.inspection;
  const res = ctx.response;
  const result = res?.result;
  if (cfg.enabled && res && result && INSPECTED.has(ctx.method) && result.resultType !== 'input_required' && typeof result.task !== 'object') {
    const v = await inspectLeaves(collectLeaves(result, '', { skipRootMeta: true }), cfg, 'result', classifierFor(ctx.gateway, cfg.injection.classifier));
    if (v.block) {
      reportFindings(ctx, v, 'result');
      ctx.audit.decision = 'deny';
      throw new GatewayError('CONTENT_BLOCKED', 'The gateway withheld this result', { detail: ctx.audit.reason });
    }
    if (v.quarantine) {
      const q = cfg.quarantine;
      const store = quarantineStore(q.dir ?? join(ctx.gateway.config.mcp.state.dir, 'quarantine'), q);
      const id = store.put(
        {
          server: ctx.target?.server.name, tool: ctx.target?.name, method: ctx.method, session: ctx.session.id, principal: ctx.session.principal.subject,
          findings: v.acted.map(({ finding: f }) => ({ rule: f.rule, category: f.category, severity: f.severity, path: f.path })),
        },
        // The original as the server sent it, when the frame allowed splicing it out.
        ctx.resultRaw?.toString('utf8') ?? JSON.stringify(result),
      );
      reportFindings(ctx, v, 'result', id);
      ctx.response = { ...res, result: noticeResult(ctx.method, result, quarantineNotice(id, v.quarantine)) };
      ctx.resultChanged = true;
    } else {
      if (v.acted.length || v.sanitized.length) reportFindings(ctx, v, 'result');
      if (v.changes.length) {
        ctx.response = { ...res, result: withLeaves(result, v.changes) };
        ctx.resultChanged = true;
      }
    }
  }
  await next();
};
