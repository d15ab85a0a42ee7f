/**
 * `validation.allowedMethods`: the seed's method allowlist, in both directions.
 *
 * The negotiated revision already refuses methods it does not define (validate-message.ts); this
 * narrows further, to what a deployment uses. `completion/complete`, `resources/subscribe` and
 * `logging/setLevel` are defined by every stateful revision, so without a list they always pass.
 * A refused method is answered exactly like one that does not exist (-32601), so the caller
 * learns nothing about the policy; the audit record names the rule.
 *
 * Client to server, the global list is checked with the schema (validate-message.ts), before the
 * gateway answers anything itself; `methodAllowlist` below checks the routed server's list after
 * `route`. Server to client (sampling, elicitation, roots), `refuseServerRequest` checks both lists
 * before the request is inspected or reaches any client.
 */
import type { Security } from '../config/schema.ts';
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext, ChainServices } from '../pipeline/types.ts';
import type { JsonRpcRequest } from '../protocol/envelope.ts';
import { ALWAYS_ALLOWED_METHODS } from '../protocol/methods.ts';
import type { Upstream } from '../upstream/upstream.ts';

export const ALLOWED_METHODS_RULE = 'validation.allowedMethods';

export function methodAllowed(v: Security['validation'], method: string): boolean {
  return v.allowedMethods === undefined || ALWAYS_ALLOWED_METHODS.has(method) || (v.allowedMethods as readonly string[]).includes(method);
}

/** Refuses a client request the given settings do not allow (as if it did not exist). */
export function checkClientMethod(ctx: CallContext, v: Security['validation'], where: string): void {
  if (methodAllowed(v, ctx.method)) return;
  ctx.audit.decision = 'deny';
  ctx.audit.rule = ALLOWED_METHODS_RULE;
  ctx.audit.reason = `method '${ctx.method}' is not in ${where}validation.allowedMethods`;
  throw new GatewayError('METHOD_NOT_FOUND', `Method not found: ${ctx.method}`);
}

/** After `route`: the routed server's own list, when it has one of its own. */
export const methodAllowlist: Stage<CallContext> = (ctx, next) => {
  const global = ctx.services.config.mcp.security;
  if (ctx.target && ctx.security !== global && ctx.security.validation.allowedMethods !== global.validation.allowedMethods) {
    checkClientMethod(ctx, ctx.security.validation, `server '${ctx.target.server.name}' `);
  }
  return next();
};

/**
 * A server's request to the client that the global or that server's list does not allow: the
 * server gets -32601, the client never sees it, the audit names the rule. Returns true if refused.
 */
export function refuseServerRequest(gw: Pick<ChainServices, 'config' | 'audit'> & { effectiveSecurity(server?: string): Security }, up: Upstream, msg: JsonRpcRequest): boolean {
  const lists = [gw.config.mcp.security.validation, gw.effectiveSecurity(up.name).validation];
  if (lists.every((v) => methodAllowed(v, msg.method))) return false;
  const err = new GatewayError('METHOD_NOT_FOUND', `Method not found: ${msg.method}`);
  gw.audit.emit({
    event: 'schema_validation_failed',
    server: up.name,
    method: msg.method,
    decision: 'deny',
    rule: ALLOWED_METHODS_RULE,
    code: err.code,
    reason: `server request '${msg.method}' is not in validation.allowedMethods`,
    detail: { direction: 'server-to-client' },
  });
  void up.send({ jsonrpc: '2.0', id: msg.id, error: err.toJsonRpcError() }).catch(() => {});
  return true;
}
