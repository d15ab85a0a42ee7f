/**
 * Rate limiting: one token bucket per session and tool (or prompt/resource), refilled at
 * `requestsPerMinute`, `burstSize` deep, with a cooldown once empty. The refusal says when to
 * retry. State sits behind `StateStore`, so a shared store can replace the in-memory one.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

export const throttle: Stage<CallContext> = async (ctx, next) => {
  const t = ctx.target;
  const cfg = ctx.security.rateLimiting;
  if (t && cfg.enabled) {
    // A 2026-07-28 request is a session of its own: keyed by session it would get a fresh bucket
    // every time. Its bucket is the caller's: the principal at its network peer (port dropped).
    const s = ctx.session;
    const who = s.stateless ? `p:${s.principal.subject}@${s.connection.replace(/:\d+$/, '')}` : `s:${s.id}`;
    const key = `${who}|${t.kind}:${t.server.name}/${t.name ?? ctx.method}`;
    const r = await ctx.gateway.rateLimiter.take(key, cfg);
    if (!r.ok) {
      ctx.audit.decision = 'deny';
      ctx.audit.reason = `rate limit on ${t.kind} '${t.name ?? ctx.method}' (burst ${cfg.burstSize}, ${cfg.requestsPerMinute}/min)`;
      throw new GatewayError('RATE_LIMITED', `Rate limit exceeded; retry after ${r.retryAfterSeconds}s`, {
        data: { retryAfterSeconds: r.retryAfterSeconds },
      });
    }
  }
  await next();
};
