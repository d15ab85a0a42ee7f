/**
 * Rate limiting: token buckets refilled at `requestsPerMinute`, `burstSize` deep, with a cooldown
 * once empty. One bucket per session and tool by default; per principal, per principal and tool
 * and per server where configured (rate-limit-keys.ts says which and why in that order). The
 * refusal says when to retry. State sits behind `StateStore`, so a shared store can replace the
 * in-memory one.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import { prefetchTaint } from './prefetch-taint.ts';
import { bucketsFor } from './rate-limit-keys.ts';

export const throttle: Stage<CallContext> = async (ctx, next) => {
  const t = ctx.target;
  const cfg = ctx.security.rateLimiting;
  if (t && cfg.enabled) {
    prefetchTaint(ctx); // its round trip overlaps the buckets' (prefetch-taint.ts)
    const buckets = bucketsFor(ctx.session, t, ctx.method, cfg);
    // All buckets in one step: one round trip when they are shared (Redis).
    const r = await ctx.services.rateLimiter.takeAll(buckets);
    if (!r.ok) {
      const b = buckets[r.index!]!;
      ctx.audit.decision = 'deny';
      ctx.audit.rule = b.rule;
      ctx.audit.reason = `rate limit on ${b.scope} (burst ${b.limits.burstSize}, ${b.limits.requestsPerMinute}/min)`;
      throw new GatewayError('RATE_LIMITED', `Rate limit exceeded; retry after ${r.retryAfterSeconds}s`, {
        data: { retryAfterSeconds: r.retryAfterSeconds },
      });
    }
  }
  await next();
};
