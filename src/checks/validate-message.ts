/**
 * MCP schema of the negotiated revision, and the lifecycle: in the stateful revisions nothing
 * but `initialize` and `ping` may come before `initialize` (spec, basic/lifecycle).
 * The JSON-RPC envelope and the byte/depth/key limits were already checked on the raw bytes.
 * Then `validation.allowedMethods` (allowed-methods.ts), before the gateway answers anything.
 */
import { GatewayError } from '../errors.ts';
import { checkClientMethod } from './allowed-methods.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import { isModern, MODERN_METHODS, requestSchema } from '../protocol/revisions.ts';

const BEFORE_INIT = new Set(['initialize', 'ping', 'server/discover']);

export const validateMessage: Stage<CallContext> = (ctx, next) => {
  const { session, method } = ctx;
  const modern = isModern(ctx.protocolVersion);
  if (modern && !MODERN_METHODS.has(method)) throw new GatewayError('METHOD_NOT_FOUND', `Method not found: ${method}`);
  if (!modern && !session.initialized && !BEFORE_INIT.has(method)) {
    throw new GatewayError('NOT_INITIALIZED', 'Session not initialized: send initialize first');
  }
  if (!requestSchema(ctx.protocolVersion, method)) throw new GatewayError('METHOD_NOT_FOUND', `Method not found: ${method}`);
  // The operator's allowlist narrows what the revision defines (the seed's `allowedMethods`).
  checkClientMethod(ctx, ctx.security.validation, '');
  // Before routing, so the global setting; a server that turns it on for itself gets it after
  // routing (server-limits.ts).
  if (ctx.security.validation.schemaValidation !== 'off' || method === 'initialize') checkMessageSchema(ctx);
  return next();
};

/** The request against the MCP schema of its revision; INVALID_PARAMS naming the first violation. */
export function checkMessageSchema(ctx: CallContext): void {
  const r = requestSchema(ctx.protocolVersion, ctx.method)?.safeParse(ctx.req);
  if (r && !r.success) {
    const first = r.error.issues[0];
    const where = first ? first.path.join('.') : '';
    throw new GatewayError('INVALID_PARAMS', `Invalid params${where ? ` at ${where}` : ''}: ${first?.message ?? 'schema violation'}`);
  }
}
