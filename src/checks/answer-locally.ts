/**
 * Methods the gateway answers itself rather than forwarding: the handshake (`initialize`,
 * `server/discover`), `ping`, the lists (aggregated over servers, filtered by the same policy that
 * decides calls, so listing and calling always agree), and fan-out methods. A method answered here
 * does not call `next()`.
 */
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const answerLocally: Stage<CallContext> = (ctx, next) => {
  const handler = ctx.services.localHandlers.get(ctx.method);
  if (!handler) return next();
  return handler(ctx).then((result) => {
    ctx.response = { jsonrpc: '2.0', id: ctx.req.id, result };
  });
};
