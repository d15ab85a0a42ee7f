/**
 * Who is calling. The transport establishes the principal before dispatch: the local OS user (or
 * `mcp.identity.stdioSubject`) on stdio; over HTTP, every request's bearer JWT, API key or verified
 * client certificate (src/identity/http-authenticator.ts), refusing bad credentials there with
 * 401/403 and a `WWW-Authenticate` challenge. This stage is the in-chain guard: with
 * `requireAuth: true` (global or the target server's), no anonymous request goes further.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

/**
 * The rule `Gateway.decide` names when a server's own `requireAuth` (a per-server override) hides
 * it from an anonymous caller; `authorize` turns it into UNAUTHENTICATED rather than an unknown name.
 */
export const ANONYMOUS_REFUSED = 'requireAuth: anonymous caller';

export const authenticate: Stage<CallContext> = (ctx, next) => {
  if (ctx.security.requireAuth && ctx.session.principal.method === 'anonymous') {
    ctx.audit.decision = 'deny';
    ctx.audit.reason = ANONYMOUS_REFUSED;
    throw new GatewayError('UNAUTHENTICATED', 'Authentication required');
  }
  return next();
};
