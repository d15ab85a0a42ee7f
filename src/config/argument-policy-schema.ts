/**
 * The configuration of argument-level policy: constraints on allow rules (paths, SQL, URLs,
 * operands, CEL conditions, quotas), tool labels and session flow rules, and the guards that
 * apply to every tool (MCP client configuration files, private addresses).
 *
 * Part of the schema (schema.ts imports it), kept apart because it is one concept. Patterns and
 * expressions are compiled here, at load: a bad CEL expression or an unusable path pattern fails
 * `portcullis check` with its YAML path, line and position, never a call at run time.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { celProblem } from '../policy/cel-condition.ts';
import { pathGlobProblem } from '../policy/path-glob.ts';
import { SQL_DIALECTS } from '../policy/sql-constraint.ts';

const pattern = z.string().min(1);
const label = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a label: lowercase letters, digits and . _ -');
const absolutePath = z.string().refine((p) => isAbsolute(p), 'must be an absolute path');

const quotaScope = z.enum(['identity', 'tool', 'server']);

export const conditionSchema = z
  .strictObject({
    maxEventsPerMinute: z.number().int().positive().optional().describe('Calls allowed per UTC minute.'),
    maxEventsPerHour: z.number().int().positive().optional().describe('Calls allowed per UTC hour.'),
    maxEventsPerDay: z.number().int().positive().optional().describe('Calls allowed per UTC day.'),
    per: z
      .union([quotaScope, z.array(quotaScope).min(1)])
      .default('identity')
      .describe('What is counted separately: `identity` (each caller), `tool` (each tool the rule matches), `server`, or a list (e.g. `[identity, tool]`).'),
  })
  .refine((c) => c.maxEventsPerMinute !== undefined || c.maxEventsPerHour !== undefined || c.maxEventsPerDay !== undefined, {
    message: 'a condition needs maxEventsPerMinute, maxEventsPerHour or maxEventsPerDay',
  })
  .describe('A quota on the tools a rule matches, persisted across restarts.');

/** Who a rule is for: any of each list given, every list given (tool-policy.ts). */
const callerLists = {
  subjects: z.array(z.string().min(1)).optional().describe('The rule applies only to these callers (any of; the principal\'s subject).'),
  roles: z.array(z.string().min(1)).optional().describe('The rule applies only to callers with one of these roles.'),
  groups: z.array(z.string().min(1)).optional().describe('The rule applies only to callers in one of these groups.'),
  scopes: z.array(z.string().min(1)).optional().describe('The rule applies only to callers whose token grants one of these scopes.'),
};

export const toolRuleObject = z
  .strictObject({
    pattern: pattern.describe('Tool name pattern this rule allows.'),
    ...callerLists,
    requiredScopes: z
      .array(z.string().min(1))
      .optional()
      .describe('Scopes the caller must hold (all of) to call: without them the tool is listed, but a call gets HTTP 403 `insufficient_scope` naming them (step-up).'),
    conditions: z.array(conditionSchema).optional(),
    when: z
      .string()
      .min(1)
      .optional()
      .describe('A CEL expression over principal, server, tool, args, time, session; the call is refused unless it is true.'),
    argument: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe("The argument(s) this rule's path, SQL and URL constraints apply to (dotted for nested: `request.url`). Default: inferred from the tool's inputSchema."),
    allowedPaths: z.array(z.string()).optional().describe('Path globs a path argument must match (whole segments; `**` spans segments).'),
    forbiddenPaths: z.array(z.string()).optional().describe('Path globs a path argument must not match (case-insensitive).'),
    root: absolutePath.optional().describe('The directory relative paths (in arguments and patterns) are resolved against; without it, a relative path is refused.'),
    home: absolutePath.optional().describe('The directory `~` stands for; without it, a `~` path is refused.'),
    allowedDatabases: z.array(z.string()).optional().describe('Databases a SQL argument may use (a database argument, qualified names, USE).'),
    defaultDatabase: z.string().optional().describe('The database a call that names none uses (the server\'s connection).'),
    forbiddenTables: z.array(z.string()).optional().describe('Tables a SQL argument may not reference (case-insensitive; `schema.table` for one schema).'),
    forbiddenFunctions: z.array(z.string()).optional().describe('SQL functions refused in addition to the built-in list of file, network and SQL-from-string functions.'),
    readOnly: z.boolean().optional().describe('Only a single SELECT (no writes, no SELECT INTO, no data-modifying CTE).'),
    sqlDialect: z.enum(SQL_DIALECTS).optional().describe('The SQL grammar the statement is parsed with (postgresql when not set).'),
    allowedSchemes: z.array(z.string().min(1)).optional().describe('URL schemes a URL argument may use, e.g. [https].'),
    allowedHosts: z.array(pattern).optional().describe('Host globs a URL argument may name (`*.example.com`).'),
    allowedPorts: z.array(z.number().int().min(1).max(65535)).optional().describe('Ports a URL argument may name (the scheme\'s default when none is written).'),
    allowPrivateAddresses: z.boolean().optional().describe('Let URL arguments reach loopback, private, link-local and metadata addresses.'),
    operands: z.array(z.string().min(1)).optional().describe('Arguments passed to a command as operands: a value starting with `-` is refused (option injection).'),
    approval: z
      .enum(['required'])
      .optional()
      .describe('`required`: a call this rule allows waits for a person\'s yes: the caller\'s user through elicitation when the client declared it, else an operator (`portcullis approvals`, the console). No answer in time: refused (docs/console.md).'),
    approvalTimeoutSeconds: z.number().positive().max(86_400).optional().describe('How long a call of this rule waits for approval; default: `toolAccess.approvalTimeoutSeconds`.'),
  })
  .superRefine((r, ctx) => {
    if (r.when !== undefined) {
      const problem = celProblem(r.when);
      if (problem) ctx.addIssue({ code: 'custom', path: ['when'], message: problem });
    }
    for (const key of ['allowedPaths', 'forbiddenPaths'] as const) {
      r[key]?.forEach((p, i) => {
        const problem = pathGlobProblem(p, { root: r.root, home: r.home });
        if (problem) ctx.addIssue({ code: 'custom', path: [key, i], message: `path pattern '${p}': ${problem}` });
      });
    }
  })
  .describe('An allow rule with argument constraints and conditions.');

export const toolDenyRuleObject = z
  .strictObject({ pattern: pattern.describe('Tool name pattern this rule denies.'), ...callerLists })
  .describe('A deny rule for some callers only, e.g. `{pattern: "shell.*", roles: [contractor]}`.');

const labelMap = z.record(pattern, z.array(label).min(1));

export const toolLabelsSchema = labelMap.describe('Labels per tool-name glob, e.g. `{"read_*": [private-data], "send_*": [external-sink]}`; used by flowRules.');
export const promptLabelsSchema = labelMap.describe('Labels per prompt-name glob; a prompt\'s result taints the session like a tool\'s (flowRules).');
export const resourceLabelsSchema = labelMap.describe('Labels per resource-URI glob (URIs normalized), e.g. `{"file:///data/private/*": [private-data]}`; a resources/read result taints the session like a tool\'s (flowRules).');

export const flowRuleSchema = z.strictObject({
  name: z.string().min(1).describe('Named in the audit record of a denial.'),
  after: z.array(label).min(1).describe('Once a tool, prompt or resource with one of these labels has returned a result in the session ...'),
  deny: z.array(label).min(1).describe('... calls to tools, prompts and resources with one of these labels are refused for the rest of the session.'),
});

export const argumentGuardsSchema = z.strictObject({
  clientConfigWrites: z
    .enum(['deny', 'allow'])
    .default('deny')
    .describe('Writes by write-like tools to MCP client configuration files and their directories (.cursor/, .vscode/, .claude/, claude_desktop_config.json, .mcp.json, ...).'),
  clientConfigFiles: z
    .array(
      z
        .string()
        .min(1)
        .superRefine((p, ctx) => {
          // Matched like the built-in list: absolute, `**/`-anchored, or one segment anywhere.
          const problem = pathGlobProblem(p, { root: '/' }) ?? (p.startsWith('~') ? 'write the absolute path instead of ~' : undefined);
          if (problem) ctx.addIssue({ code: 'custom', message: `path pattern '${p}': ${problem}` });
        }),
    )
    .default([])
    .describe('More path globs protected like the client configuration files (e.g. this gateway\'s own config).'),
  privateAddresses: z
    .enum(['deny', 'allow'])
    .default('deny')
    .describe('URLs and hosts among the arguments of every tool (any depth; see docs/argument-policy.md) that resolve to loopback, private, link-local or metadata addresses.'),
  dnsTimeoutSeconds: z.number().positive().max(30).default(2).describe('DNS lookups for the private-address check; a lookup that times out refuses the call.'),
});

export const ARGUMENT_GUARD_DEFAULTS = argumentGuardsSchema.parse({});
