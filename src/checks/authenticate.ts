/**
 * Who is calling. The transport establishes the principal (the local OS user on stdio; HTTP
 * authentication arrives with the identity capability). With `requireAuth: true`, no anonymous
 * request reaches a server: until HTTP authentication exists, that means every HTTP request is
 * refused, loudly, rather than let through.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const authenticate: Stage<CallContext> = async (ctx, next) => {
  if (ctx.security.requireAuth && ctx.session.principal.method === 'anonymous') {
    ctx.audit.decision = 'deny';
    ctx.audit.reason = 'requireAuth: anonymous caller (no authenticator enforces HTTP identity in this build)';
    throw new GatewayError('UNAUTHENTICATED', 'Authentication required');
  }
  await next();
};
