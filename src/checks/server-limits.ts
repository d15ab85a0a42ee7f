/**
 * A server's own `validation` limits, which stage 0 cannot apply: the byte size and nesting depth
 * of a message are checked on the raw bytes before parsing, against the global limits, because
 * the server a message is for is known only once it has been routed. Here, after routing (and
 * after authorization, so an oversized call to a tool the caller may not use still looks like a
 * tool that does not exist), a message is held to its server's lower `maxMessageSize` (measured on
 * its original bytes) and `maxNestingDepth`. A server whose `schemaValidation` is on while the
 * global one is off gets the MCP message schema check it asked for (stage 2 used the global).
 *
 * A server's limit above the global one could never take effect and is refused at load
 * (config/validation-problems.ts).
 */
import { GatewayError } from '../errors.ts';
import type { CallContext } from '../pipeline/types.ts';
import { wireSizeOf } from '../protocol/wire-size.ts';
import { checkMessageSchema } from './validate-message.ts';

/** Deepest object/array nesting, counted like stage 0 counts it (the message root is 1). Iterative. */
export function nestingDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return max;
}

export function checkServerLimits(ctx: CallContext): void {
  if (!ctx.target) return;
  const global = ctx.services.config.mcp.security.validation;
  const own = ctx.security.validation;
  if (own.maxMessageSize < global.maxMessageSize) {
    const size = wireSizeOf(ctx.req);
    if (size > own.maxMessageSize) {
      ctx.audit.reason = `message of ${size} bytes over server '${ctx.target.server.name}' maxMessageSize ${own.maxMessageSize}`;
      throw new GatewayError('MESSAGE_TOO_LARGE', `Message of ${size} bytes exceeds the limit of ${own.maxMessageSize}`);
    }
  }
  // Depth counts from `params`, as in stage 0 (the root object and `params` are two levels).
  if (own.maxNestingDepth < global.maxNestingDepth && nestingDepth(ctx.req) > own.maxNestingDepth + 1) {
    ctx.audit.reason = `message nesting over server '${ctx.target.server.name}' maxNestingDepth ${own.maxNestingDepth}`;
    throw new GatewayError('NESTING_TOO_DEEP', `Message nesting exceeds the limit of ${own.maxNestingDepth}`);
  }
  if (global.schemaValidation === 'off' && own.schemaValidation !== 'off') checkMessageSchema(ctx);
}
