/**
 * Emergency lockdown (`portcullis lockdown on [--allow PATTERN...]`): while it is in force every
 * tool call is refused except those on the emergency allowlist. It runs after `route`, so the
 * allowlist can name a tool by its own name or with its server's prefix (matched like an allow
 * rule, policy/name-match.ts), and before `authorize`, so nothing
 * the policy would allow gets through. Unlike a policy denial the refusal is not disguised as an
 * unknown tool: the client is told it is a lockdown, so agents and people stop retrying.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const lockdown: Stage<CallContext> = (ctx, next) => {
  const t = ctx.target;
  // A task's result and status are its tool call's output, delivered late: refused like the call
  // itself (a task is allowed when its tool is). Cancelling stays open: it is what an incident wants.
  if ((ctx.method === 'tools/call' || (ctx.method.startsWith('tasks/') && ctx.method !== 'tasks/cancel')) && t) {
    const l = ctx.services.incident.lockdown();
    if (l.active) {
      const allowedBy = t.name !== undefined ? l.allowed({ kind: 'tool', server: t.server.name, name: t.name, servers: ctx.services.namespacer.serverNames }) : undefined;
      if (!allowedBy) {
        ctx.audit.decision = 'deny';
        ctx.audit.rule = 'lockdown';
        ctx.audit.reason = `emergency lockdown${l.reason ? `: ${l.reason}` : ''}`;
        throw new GatewayError('LOCKDOWN', 'The gateway is in emergency lockdown: tool calls are suspended by the operator');
      }
      ctx.audit.reason = `lockdown: allowed by the emergency allowlist (${allowedBy})`;
    }
  }
  return next();
};
