/**
 * A server's answer, checked before the client sees it: the MCP result schema of the method and,
 * for tools with an `outputSchema`, `structuredContent` against it (spec: servers MUST return
 * structured results that conform). A hostile server's malformed result never reaches the agent.
 */
import * as v1 from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { createsTask } from './bind-tasks.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

const RESULT_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['tools/call', v1.CallToolResultSchema as unknown as z.ZodType],
  ['prompts/get', v1.GetPromptResultSchema as unknown as z.ZodType],
  ['resources/read', v1.ReadResourceResultSchema as unknown as z.ZodType],
  ['completion/complete', v1.CompleteResultSchema as unknown as z.ZodType],
]);

export const validateResult: Stage<CallContext> = async (ctx, next) => {
  const mode = ctx.security.validation.schemaValidation;
  const fail = (why: string) => {
    if (mode === 'strict') {
      ctx.audit.reason = `server result invalid: ${why}`;
      throw new GatewayError('RESULT_INVALID', 'The server returned an invalid result', { detail: why });
    }
    if (mode === 'warn') ctx.gateway.audit.emit({ event: 'schema_validation_failed', session: ctx.session.id, server: ctx.target?.server.name, tool: ctx.target?.name, decision: 'allow', reason: `${why} (warn mode)` });
  };
  // A task handle answers only a request that asked for a task. On any other result a `task`
  // member would switch off the checks below and result inspection (both skip task handles):
  // refused, or, whatever the mode, removed so the rest is still checked and inspected.
  const isTask = createsTask(ctx) && typeof ctx.response?.result?.task === 'object';
  if (ctx.response?.result && !isTask && 'task' in ctx.response.result) {
    fail(`${ctx.method} result carries a task the request did not ask for`);
    const { task: _dropped, ...rest } = ctx.response.result;
    ctx.response = { ...ctx.response, result: rest };
    ctx.resultChanged = true;
  }
  const res = ctx.response;
  if (res?.result && mode !== 'off') {
    const schema = RESULT_SCHEMAS.get(ctx.method);
    if (schema && !isTask) {
      const r = schema.safeParse(res.result);
      if (!r.success) fail(`${ctx.method} result: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
    }
    const out = ctx.target?.tool?.output();
    if (out && !isTask && res.result.isError !== true) {
      if (res.result.structuredContent === undefined) fail('tool has an outputSchema but returned no structuredContent');
      else if (!out(res.result.structuredContent)) fail(`structuredContent violates outputSchema: ${out.errors}`);
    }
  }
  await next();
};
