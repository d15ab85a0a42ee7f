/**
 * A server's answer, checked before the client sees it: the MCP result schema of the method and,
 * for tools with an `outputSchema`, `structuredContent` against it (spec: servers MUST return
 * structured results that conform). A hostile server's malformed result never reaches the agent.
 *
 * Nothing the server writes into its result chooses which checks apply:
 * - a `task` (CreateTaskResult) is the answer to a task-augmented request only (2025-11-25,
 *   basic/utilities/tasks); to a request that asked for no task it is a protocol violation, and
 *   the result is checked as the method's result all the same, with the `task` member removed;
 * - `resultType` is 2026-07-28's. A 2026 server's results were already settled before this chain
 *   (gateway/modern-upstream.ts: `complete` untagged, `input_required` relayed or answered); a
 *   2025 server's results are all complete, and one that carries a `resultType` has it dropped,
 *   so that no client honours it (a 2026 client would show forged `inputRequests` as the
 *   gateway's). The gateway's own `input_required` (forward.ts) never passes this chain.
 */
import * as v1 from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { GatewayError } from '../errors.ts';
import { createsTask, reduceToHandle } from './bind-tasks.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

const RESULT_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ['tools/call', v1.CallToolResultSchema as unknown as z.ZodType],
  ['prompts/get', v1.GetPromptResultSchema as unknown as z.ZodType],
  ['resources/read', v1.ReadResourceResultSchema as unknown as z.ZodType],
  ['completion/complete', v1.CompleteResultSchema as unknown as z.ZodType],
]);
const TASK_RESULT = v1.CreateTaskResultSchema as unknown as z.ZodType;

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);

export const validateResult: Stage<CallContext> = (ctx, next) => {
  const res0 = ctx.response;
  if (res0?.result && Object.hasOwn(res0.result, 'resultType')) {
    const { resultType: _dropped, ...rest } = res0.result;
    ctx.response = { ...res0, result: rest };
    ctx.resultChanged = true;
    ctx.audit.reason = [ctx.audit.reason, 'server result carried a resultType (2026-07-28 only): dropped'].filter(Boolean).join('; ');
  }
  const mode = ctx.security.validation.schemaValidation;
  const fail = (why: string) => {
    if (mode === 'strict') {
      ctx.audit.reason = `server result invalid: ${why}`;
      throw new GatewayError('RESULT_INVALID', 'The server returned an invalid result', { detail: why });
    }
    if (mode === 'warn') ctx.services.audit.emit({ event: 'schema_validation_failed', session: ctx.session.id, server: ctx.target?.server.name, tool: ctx.target?.name, decision: 'allow', reason: `${why} (warn mode)` });
  };
  // A task handle answers only a request that asked for a task. On any other result a `task`
  // member is a protocol violation: refused in strict mode, and, whatever the mode, removed so the
  // rest is still checked and inspected as the method's result.
  const isTask = createsTask(ctx) && isObject(ctx.response?.result?.task);
  if (ctx.response?.result && !isTask && 'task' in ctx.response.result) {
    fail(`${ctx.method} result carries a task the request did not ask for (it asked for none)`);
    const { task: _dropped, ...rest } = ctx.response.result;
    ctx.response = { ...ctx.response, result: rest };
    ctx.resultChanged = true;
  }
  if (isTask) reduceToHandle(ctx);
  const res = ctx.response;
  if (res?.result && mode !== 'off') {
    const schema = isTask ? TASK_RESULT : RESULT_SCHEMAS.get(ctx.method);
    if (schema) {
      const r = schema.safeParse(res.result);
      if (!r.success) fail(`${ctx.method} result: ${r.error.issues[0]?.path.join('.')} ${r.error.issues[0]?.message}`);
    }
    const out = ctx.target?.tool?.output();
    if (out && !isTask && res.result.isError !== true) {
      if (res.result.structuredContent === undefined) fail('tool has an outputSchema but returned no structuredContent');
      else if (!out(res.result.structuredContent)) fail(`structuredContent violates outputSchema: ${out.errors}`);
    }
  }
  return next();
};
