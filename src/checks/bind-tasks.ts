/**
 * The response side of task ownership (gateway/task-table.ts). A task-augmented `tools/call`
 * answered with a CreateTaskResult binds the new task to this caller; a `tasks/list` answer is cut
 * down to the caller's own tasks whose tool they may still use (the same decision as `tasks/get`,
 * so what is listed is what can be fetched — spec: "If a task is retrievable via tasks/get for a
 * requestor, it MUST be retrievable via tasks/list for that requestor").
 *
 * Last of the response stages: only a result that will reach the caller binds anything.
 */
import * as v1 from '@modelcontextprotocol/sdk/types.js';
import { GatewayError } from '../errors.ts';
import { isModern } from '../protocol/revisions.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

const IMMEDIATE_RESPONSE = 'io.modelcontextprotocol/model-immediate-response';

/**
 * A tools/call that asked for a task (spec: `params.task`); only its answer may be a
 * CreateTaskResult. Not in 2026-07-28, which has no `tasks/*` here: `forward` drops the field.
 */
export function createsTask(ctx: CallContext): boolean {
  const task = ctx.req.params?.task;
  return ctx.method === 'tools/call' && task !== undefined && task !== null && !isModern(ctx.protocolVersion);
}

export const bindTasks: Stage<CallContext> = (ctx, next) => {
  const result = ctx.response?.result;
  const t = ctx.target;
  if (result && t && createsTask(ctx) && typeof result.task === 'object') bind(ctx, result);
  if (result && t && ctx.method === 'tasks/list' && Array.isArray(result.tasks)) filterList(ctx, result);
  return next();
};

function bind(ctx: CallContext, result: Record<string, unknown>): void {
  const t = ctx.target!;
  const parsed = v1.CreateTaskResultSchema.safeParse(result);
  if (!parsed.success) throw new GatewayError('RESULT_INVALID', 'The server returned an invalid result', { detail: 'malformed CreateTaskResult' });
  const task = parsed.data.task;
  ctx.audit.task = task.taskId;
  const bound = ctx.services.tasks.bind({ server: t.server.name, taskId: task.taskId, ttl: task.ttl, session: ctx.session, tool: t.name ?? '', exposed: t.exposed ?? t.name ?? '' });
  if (!bound) {
    // Fail closed: a task the gateway cannot bind (a server reusing another caller's task id)
    // would be one nobody, or the wrong caller, could reach.
    ctx.audit.reason = `task '${task.taskId}' not bound: its id is taken or unusable`;
    throw new GatewayError('RESULT_INVALID', 'The server returned an invalid result', { detail: ctx.audit.reason });
  }
}

/**
 * Only the task handle goes to the client: anything beside it (text next to the handle) and the
 * server's `model-immediate-response` (text meant for the model: the host uses its own instead —
 * spec, tasks: "If a server does not provide this field, the host application can fall back") are
 * dropped. Called by validateResult, before inspection, so what inspection reads is what is sent.
 */
export function reduceToHandle(ctx: CallContext): void {
  const result = ctx.response?.result;
  if (!result) return;
  const meta = result._meta as Record<string, unknown> | undefined;
  const extra = Object.keys(result).some((k) => k !== 'task' && k !== '_meta');
  if (extra || (meta && IMMEDIATE_RESPONSE in meta)) {
    const { [IMMEDIATE_RESPONSE]: _dropped, ...rest } = meta ?? {};
    ctx.response = { ...ctx.response!, result: { task: result.task, ...(meta && { _meta: rest }) } };
    ctx.resultChanged = true;
  }
}

function filterList(ctx: CallContext, result: Record<string, unknown>): void {
  const gw = ctx.services;
  const server = ctx.target!.server.name;
  const all = result.tasks as { taskId?: unknown }[];
  const shown = all.filter((task) => {
    const e = gw.tasks.mine(server, task?.taskId, ctx.session);
    return e !== undefined && gw.decide('tool', server, e.tool, ctx.session.principal).allowed;
  });
  if (shown.length === all.length) return;
  ctx.audit.reason = `${all.length - shown.length} of ${all.length} listed task(s) left out: not this caller's, or their tool is no longer allowed`;
  ctx.response = { ...ctx.response!, result: { ...result, tasks: shown } };
  ctx.resultChanged = true;
}
