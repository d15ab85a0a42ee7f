/**
 * `portcullis policy test FILE`: policy cases in YAML, each a call and the decision it must get,
 * run through the gateway's own decision functions. Prints PASS/FAIL per case and exits 1 on any
 * failure, so operators can run it in CI before a policy change ships.
 *
 * Cases run in order against one in-memory quota store, so `repeat` can exhaust a quota; cases
 * that name the same `session` share its taint (an allowed call to a labeled tool taints it), so
 * a flow rule can be tested across two calls.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadConfigFile } from '../config/load.ts';
import { dnsResolver } from '../policy/url-constraint.ts';
import { MemoryQuotaStore } from '../state/quota-store.ts';
import { CliError, loadOrExplain, parse } from './common.ts';
import { evaluate, formatSteps, tableResolver } from './policy-evaluate.ts';
import type { Command } from './main.ts';

const caseSchema = z.strictObject({
  name: z.string().min(1),
  server: z.string().optional(),
  tool: z.string().min(1),
  as: z.string().default('policy-test').describe('the caller identity'),
  roles: z.array(z.string()).default([]),
  args: z.record(z.string(), z.unknown()).default({}),
  session: z.union([z.string(), z.strictObject({ name: z.string().optional(), labels: z.array(z.string()).default([]) })]).optional(),
  time: z.string().optional(),
  repeat: z.number().int().min(1).max(100_000).default(1).describe('make the call this many times; the expectation is for the last'),
  expect: z.enum(['allow', 'deny']),
  rule: z.string().optional().describe('the deciding rule must start with this'),
  argument: z.string().optional().describe('the argument that decided a denial'),
});

const fileSchema = z.strictObject({
  config: z.string().min(1).describe('the configuration, relative to this file'),
  tools: z.record(z.string(), z.record(z.string(), z.unknown())).default({}).describe('tool definitions (inputSchema, annotations) by name'),
  dns: z.record(z.string(), z.array(z.string())).default({}).describe('host -> addresses, answered before real DNS'),
  cases: z.array(caseSchema).min(1),
});

const usage = `Usage: portcullis policy test FILE [--verbose]

Run the policy cases in FILE (YAML) against the configuration it names. Each case is a call
(identity, server, tool, arguments) and the expected decision (allow or deny), optionally the
deciding rule (a prefix) and argument. Prints PASS or FAIL per case; exit 0 when all pass, 1 when
any fails, 2 when the file is invalid.

  config: portcullis.yaml
  cases:
    - name: public files are readable
      tool: read_file
      args: { path: /data/public/report.txt }
      expect: allow
    - name: keys are not
      tool: read_file
      args: { path: /data/public/../../etc/ssl/server.key }
      expect: deny
      rule: allowedTools[0].forbiddenPaths
      argument: path

Options:
  -v, --verbose  print every rule that matched for each case
  -h, --help     this help`;

export const policyTestCommand: Command = {
  summary: 'run policy test cases from a YAML file',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv, { verbose: { type: 'boolean', short: 'v' } }, usage);
    if (positionals.length !== 1) throw new CliError(`one FILE is required\n\n${usage}`);
    const file = positionals[0];
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: 100 });
    } catch (err) {
      throw new CliError(`${file}: ${(err as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      throw new CliError(`${file}: invalid test file\n${parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n')}`);
    }
    const spec = parsed.data;
    const loaded = loadOrExplain(() => loadConfigFile(resolve(dirname(file), spec.config)));
    const env = {
      quotas: new MemoryQuotaStore(),
      resolve: tableResolver(spec.dns, dnsResolver(loaded.config.mcp.security.argumentGuards.dnsTimeoutSeconds * 1000)),
      consume: true,
    };
    const sessions = new Map<string, Set<string>>();
    let failed = 0;
    for (const c of spec.cases) {
      const sessionName = typeof c.session === 'string' ? c.session : c.session?.name;
      const taint = sessionName ? (sessions.get(sessionName) ?? new Set<string>()) : new Set<string>();
      if (sessionName) sessions.set(sessionName, taint);
      if (typeof c.session === 'object') for (const l of c.session.labels) taint.add(l);
      const timeMs = c.time ? Date.parse(c.time) : Date.now();
      if (Number.isNaN(timeMs)) throw new CliError(`${file}: case '${c.name}': time is not an ISO date-time`);
      const tool = target(c.tool);
      const def = spec.tools[tool] ? { name: tool, ...spec.tools[tool] } : undefined;
      let ev: Awaited<ReturnType<typeof evaluate>> | undefined;
      for (let i = 0; i < c.repeat; i++) {
        ev = await evaluate(loaded, { server: c.server, tool: c.tool, args: c.args, identity: c.as, roles: c.roles, sessionLabels: [...taint], timeMs, def }, env);
        if (ev.allowed) for (const l of ev.labels) taint.add(l);
      }
      const got = ev!;
      const problems: string[] = [];
      if ((got.allowed ? 'allow' : 'deny') !== c.expect) problems.push(`expected ${c.expect}, got ${got.allowed ? 'allow' : `deny by ${got.denied?.rule}`}`);
      const rule = got.denied?.rule ?? got.steps.find((s) => s.outcome === 'allow')?.rule;
      if (c.rule !== undefined && !(rule ?? '').startsWith(c.rule)) problems.push(`expected rule '${c.rule}…', got '${rule ?? '(none)'}'`);
      if (c.argument !== undefined && got.denied?.argument !== c.argument) problems.push(`expected argument '${c.argument}', got '${got.denied?.argument ?? '(none)'}'`);
      if (problems.length) failed++;
      const head = `${problems.length ? 'FAIL' : 'PASS'}  ${c.name}`;
      const lines = [head, ...problems.map((p) => `      ${p}`)];
      if (values.verbose || problems.length) lines.push(...formatSteps(got.steps).map((l) => `    ${l}`));
      process.stdout.write(lines.join('\n') + '\n');
    }
    process.stdout.write(`${spec.cases.length - failed} passed, ${failed} failed\n`);
    return failed ? 1 : 0;
  },
};

/** The tool's own name for the `tools` table: `server__name` -> `name`. */
function target(tool: string): string {
  const i = tool.indexOf('__');
  return i > 0 ? tool.slice(i + 2) : tool;
}
