/**
 * Revocation (`portcullis revoke --all | --session ID | --subject SUB`): a session the operator
 * ended stays ended, and a token issued before its subject's (or everyone's) revocation is
 * refused even though it has not expired. Right after authentication, before anything else
 * reads the caller's identity. Token-based principals carry `issuedAt` (the token's `iat`).
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const revocation: Stage<CallContext> = async (ctx, next) => {
  const s = ctx.session;
  if (s.closed && !s.stateless) {
    ctx.audit.decision = 'deny';
    ctx.audit.reason = 'session revoked by the operator';
    throw new GatewayError('UNAUTHENTICATED', 'Session revoked');
  }
  const iat = s.principal.issuedAt;
  if (iat !== undefined && ctx.gateway.incident.isTokenRevoked(s.principal.subject, iat)) {
    ctx.audit.decision = 'deny';
    ctx.audit.reason = `token of '${s.principal.subject}' issued at ${new Date(iat * 1000).toISOString()}, before its revocation`;
    throw new GatewayError('UNAUTHENTICATED', 'Token revoked');
  }
  await next();
};
