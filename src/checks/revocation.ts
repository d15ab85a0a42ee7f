/**
 * Revocation (`portcullis revoke --all | --session ID | --subject SUB | --api-key ID |
 * --certificate FP`): a session the operator ended stays ended, and a credential — bearer token,
 * API key or client certificate — that existed before a revocation covering it is refused even
 * though it has not expired (incident/revocations.ts). Right after authentication, before
 * anything else reads the caller's identity. Principals carry `issuedAt`: a token's `iat`, an API
 * key's `createdAt`, a certificate's `notBefore`.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const revocation: Stage<CallContext> = (ctx, next) => {
  const s = ctx.session;
  if (s.closed && !s.stateless) {
    ctx.audit.decision = 'deny';
    ctx.audit.reason = 'session revoked by the operator';
    throw new GatewayError('UNAUTHENTICATED', 'Session revoked');
  }
  const p = s.principal;
  const hit = ctx.services.incident.revocationOf(p);
  if (hit) {
    const issued = p.issuedAt !== undefined ? `issued ${new Date(p.issuedAt * 1000).toISOString()}` : 'of unknown issue time, counted as issued';
    ctx.audit.decision = 'deny';
    ctx.audit.rule = 'revocation';
    ctx.audit.reason = `${p.method} credential${p.credential ? ` '${p.credential}'` : ''} of '${p.subject}', ${issued} before its revocation (${hit.scope}, at ${hit.at})`;
    throw new GatewayError('UNAUTHENTICATED', 'Credential revoked');
  }
  return next();
};
