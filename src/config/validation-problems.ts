/**
 * Per-server `validation` limits that could never take effect, refused at load.
 *
 * `maxMessageSize` and `maxNestingDepth` are first checked on the raw bytes, before parsing and
 * so before the target server is known, against the global values; a server's own value can
 * only lower them (applied after routing, checks/server-limits.ts). A server value above the
 * global one would be silently capped by it: the operator asked for something that cannot
 * happen, so the configuration is refused with the fix.
 */
import type { Config, SecurityOverride } from './schema.ts';

export interface ValidationProblem {
  path: string;
  at: (string | number)[];
  message: string;
  fix: string;
}

const PRE_ROUTING = ['maxMessageSize', 'maxNestingDepth'] as const;

export function validationOverrideProblems(config: Config): ValidationProblem[] {
  const global = config.mcp.security.validation;
  const out: ValidationProblem[] = [];
  const check = (o: SecurityOverride | undefined, at: (string | number)[]) => {
    for (const key of PRE_ROUTING) {
      const v = o?.validation?.[key];
      if (v === undefined || v <= global[key]) continue;
      const where = [...at, 'security', 'validation', key];
      out.push({
        path: where.join('.'),
        at: where,
        message: `${v} is above the global mcp.security.validation.${key} (${global[key]}), which every message is held to before its server is known; a server's own value can only lower it`,
        fix: `raise mcp.security.validation.${key} to at least ${v} (and give the other servers their own lower ${key} if they need it), or lower this one`,
      });
    }
  };
  config.mcp.servers.forEach((s, i) => check(s.security, ['mcp', 'servers', i]));
  config.mcp.skills.forEach((s, i) => check(s.security, ['mcp', 'skills', i]));
  return out;
}
