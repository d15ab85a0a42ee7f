/**
 * Which server a request goes to, and under which name. A name that matches no server, or no
 * tool/prompt of that server, is an unknown tool/prompt/resource: the same error a denial gives.
 * A task goes to the server that created it, for its owner only (gateway/task-table.ts).
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const route: Stage<CallContext> = async (ctx, next) => {
  const gw = ctx.services;
  const p = ctx.req.params ?? {};
  switch (ctx.method) {
    case 'tools/call': {
      const exposed = String(p.name);
      const t = await gw.resolveName(exposed);
      const tool = t && (await t.catalog.getTools()).get(t.name);
      if (!t || !tool) {
        ctx.audit.reason = `unknown tool '${exposed}'`;
        throw new GatewayError('UNKNOWN_TOOL', `Unknown tool: ${exposed}`);
      }
      ctx.target = { kind: 'tool', server: t.server, upstream: t.upstream, catalog: t.catalog, name: t.name, exposed, tool };
      break;
    }
    case 'prompts/get': {
      const exposed = String(p.name);
      const t = await gw.resolveName(exposed);
      if (!t || !(await t.catalog.getList('prompts')).some((x) => x.name === t.name)) {
        ctx.audit.reason = `unknown prompt '${exposed}'`;
        throw new GatewayError('UNKNOWN_PROMPT', `Unknown prompt: ${exposed}`);
      }
      ctx.target = { kind: 'prompt', server: t.server, upstream: t.upstream, catalog: t.catalog, name: t.name, exposed };
      break;
    }
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe': {
      const exposed = String(p.uri);
      const t = await gw.resolveUri(exposed);
      if (!t) {
        ctx.audit.reason = `no server for resource '${exposed}'`;
        throw new GatewayError('UNKNOWN_RESOURCE', `Resource not found: ${exposed}`, { data: { uri: exposed } });
      }
      // Pins decide on what the lists said: a read before any list (a fresh wrap) must not find
      // the verdicts missing and let a drifted resource or template through. A list the server
      // refuses showed the client nothing to be poisoned by; the read goes on to policy.
      if (gw.pins) await Promise.all([t.catalog.getList('resources').catch(() => []), t.catalog.getList('resourceTemplates').catch(() => [])]);
      ctx.target = { kind: 'resource', server: t.server, upstream: t.upstream, catalog: t.catalog, name: t.uri, exposed };
      break;
    }
    case 'completion/complete': {
      const ref = (p.ref ?? {}) as { type?: string; name?: string; uri?: string };
      const t = ref.type === 'ref/prompt' ? await gw.resolveName(String(ref.name)) : await gw.resolveUri(String(ref.uri));
      if (!t) throw new GatewayError('INVALID_PARAMS', 'Invalid params: unknown completion reference');
      const name = 'name' in t ? t.name : t.uri;
      ctx.target = { kind: ref.type === 'ref/prompt' ? 'prompt' : 'resource', server: t.server, upstream: t.upstream, catalog: t.catalog, name, exposed: ref.type === 'ref/prompt' ? ref.name : ref.uri };
      break;
    }
    case 'tasks/get':
    case 'tasks/result':
    case 'tasks/cancel': {
      // The task table knows the server, and whether the task is the caller's: a task of another
      // session, or one the gateway never bound, is unknown and never reaches a server.
      const taskId = p.taskId;
      ctx.audit.task = typeof taskId === 'string' ? taskId : undefined;
      const found = gw.tasks.find(taskId, ctx.session, gw.servers.keys());
      if ('refused' in found) {
        ctx.audit.decision = 'deny';
        ctx.audit.reason = found.refused;
        throw new GatewayError('UNKNOWN_TASK', 'Failed to retrieve task: Task not found');
      }
      const t = await gw.ready(gw.servers.get(found.entry.server)!);
      ctx.target = { kind: 'task', server: t.server, upstream: t.upstream, catalog: t.catalog, name: found.entry.tool, exposed: found.entry.exposed };
      break;
    }
    default: {
      // Methods without a name to route by (tasks/list, future methods): only unambiguous with one server.
      const only = gw.soleServer();
      if (!only) throw new GatewayError('METHOD_NOT_FOUND', `Method not found: ${ctx.method}`);
      ctx.target = { kind: ctx.method.startsWith('tasks/') ? 'task' : 'other', server: only.server, upstream: only.upstream, catalog: only.catalog };
    }
  }
  ctx.security = ctx.target.server.effective;
  await next();
};
