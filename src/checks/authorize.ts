/**
 * May this caller use this tool, prompt or resource? The decision is the same function that
 * filters the lists. A denial is opaque on the wire (it looks like an unknown name, so a caller
 * cannot probe for tools it may not use) and exact in the audit record (rule and reason).
 */
import { GatewayError } from '../errors.ts';
import { ANONYMOUS_REFUSED } from './authenticate.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const authorize: Stage<CallContext> = (ctx, next) => {
  const t = ctx.target;
  // A task is authorized like the tool call that created it, again on every request: a role
  // revoked since, or a rule changed, ends access to the task too. Cancelling is left to its
  // owner whatever the policy now says: it can only stop work, never reveal any.
  const kind = t?.kind === 'task' && ctx.method !== 'tasks/cancel' ? 'tool' : t?.kind;
  if (!t || !t.name || (kind !== 'tool' && kind !== 'prompt' && kind !== 'resource')) {
    return next();
  }
  const d = ctx.services.decide(kind, t.server.name, t.name, ctx.session.principal);
  if (!d.allowed) {
    ctx.audit.decision = 'deny';
    ctx.audit.rule = d.rule;
    ctx.audit.reason = `${kind} '${t.name}' on '${t.server.name}' denied by ${d.rule}`;
    if (d.rule === ANONYMOUS_REFUSED) throw new GatewayError('UNAUTHENTICATED', 'Authentication required');
    if (t.kind === 'task') throw new GatewayError('UNKNOWN_TASK', 'Failed to retrieve task: Task not found');
    if (t.kind === 'tool') throw new GatewayError('UNKNOWN_TOOL', `Unknown tool: ${t.exposed}`);
    if (t.kind === 'prompt') throw new GatewayError('UNKNOWN_PROMPT', `Unknown prompt: ${t.exposed}`);
    throw new GatewayError('UNKNOWN_RESOURCE', `Resource not found: ${t.exposed}`, { data: { uri: t.exposed } });
  }
  ctx.audit.rule = d.rule;
  ctx.access = d;
  if (d.missingScopes?.length) {
    // Allowed for this caller, but not with this token: say which scopes to ask for (step-up,
    // MCP authorization "Scope Challenge Handling"); over HTTP this becomes 403 + WWW-Authenticate.
    const rule = d.matchedRule && typeof d.matchedRule !== 'string' ? d.matchedRule : undefined;
    const scope = [...new Set([...(ctx.session.principal.scopes ?? []), ...(rule?.requiredScopes ?? [])])];
    ctx.audit.decision = 'deny';
    ctx.audit.reason = `${kind} '${t.name}' on '${t.server.name}': missing scope(s) ${d.missingScopes.join(' ')} required by ${d.rule}`;
    throw new GatewayError('INSUFFICIENT_SCOPE', 'Insufficient scope', { data: { scope } });
  }
  return next();
};
