/**
 * The target server's own message limits (server-limits.ts: size and depth, which stage 0 could
 * only check against the global ones), then tool arguments against the limits and the tool's own
 * `inputSchema` (from the latest `tools/list`, compiled once). NSA: "validate parameters". In
 * `warn` mode a schema violation is audited and the call proceeds.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import { checkServerLimits } from './server-limits.ts';

export const validateArguments: Stage<CallContext> = (ctx, next) => {
  checkServerLimits(ctx);
  const tool = ctx.target?.tool;
  const v = ctx.security.validation;
  if (tool) {
    const args = (ctx.req.params?.arguments ?? {}) as Record<string, unknown>;
    const count = args && typeof args === 'object' ? Object.keys(args).length : 0;
    if (count > v.maxToolArguments) {
      throw new GatewayError('TOO_MANY_ARGUMENTS', `Too many arguments: ${count} > ${v.maxToolArguments}`);
    }
    if (v.schemaValidation !== 'off') {
      const validate = tool.input();
      if (!validate(args)) {
        const why = `arguments violate the tool's inputSchema: ${validate.errors}`;
        if (v.schemaValidation === 'strict') {
          ctx.audit.reason = why;
          throw new GatewayError('ARGUMENTS_INVALID', `Invalid arguments for tool ${ctx.target!.exposed}: ${validate.errors}`);
        }
        ctx.services.audit.emit({ event: 'schema_validation_failed', session: ctx.session.id, server: ctx.target!.server.name, tool: ctx.target!.name, decision: 'allow', reason: `${why} (warn mode)` });
      }
    }
  }
  return next();
};
