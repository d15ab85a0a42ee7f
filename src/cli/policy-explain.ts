/**
 * `portcullis policy explain --config FILE --tool T --args JSON [--as IDENTITY]`: the decision for
 * one call and every rule that matched, in the order the gateway consults them. Nothing is
 * started and no quota is spent (counters start empty: live counters are the gateway's).
 */
import { readFileSync } from 'node:fs';
import { loadConfigFile } from '../config/load.ts';
import type { ToolDef } from '../gateway/catalog.ts';
import { dnsResolver } from '../policy/url-constraint.ts';
import { MemoryQuotaStore } from '../state/quota-store.ts';
import { CliError, loadOrExplain, parse } from './common.ts';
import { evaluate, formatSteps } from './policy-evaluate.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis policy explain --config FILE --tool T [--args JSON] [--as IDENTITY] [options]

Print the decision for one tool call and every rule that matched, in order. Nothing is started;
no quota is spent. Exit 0 when the call would be allowed, 1 when it would be denied.

Options:
  -c, --config FILE     the YAML configuration (required)
  -t, --tool NAME       the tool: its name, or <server>__<name> with several servers (required)
  -a, --args JSON       the call's arguments, a JSON object (default {})
      --as IDENTITY     the caller (default: policy-explain)
      --roles A,B       the caller's roles (for CEL conditions)
  -s, --server NAME     the server (or mcp.skills entry) whose settings apply
      --labels A,B      labels the session already carries (flow rules)
      --time ISO        the time of the call (CEL \`time\`, quota windows)
      --tool-def FILE   the tool's definition as JSON (inputSchema, annotations), as tools/list gives it
      --json            machine-readable output
  -h, --help            this help`;

export const policyExplainCommand: Command = {
  summary: 'explain the decision for one tool call',
  usage,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        config: { type: 'string', short: 'c' },
        tool: { type: 'string', short: 't' },
        args: { type: 'string', short: 'a' },
        as: { type: 'string' },
        roles: { type: 'string' },
        server: { type: 'string', short: 's' },
        labels: { type: 'string' },
        time: { type: 'string' },
        'tool-def': { type: 'string' },
        json: { type: 'boolean' },
      },
      usage,
    );
    if (!values.config || !values.tool) throw new CliError(`--config and --tool are required\n\n${usage}`);
    const loaded = loadOrExplain(() => loadConfigFile(values.config as string));
    let args: unknown;
    try {
      args = JSON.parse((values.args as string | undefined) ?? '{}');
    } catch (err) {
      throw new CliError(`--args is not JSON: ${(err as Error).message}`);
    }
    if (!args || typeof args !== 'object' || Array.isArray(args)) throw new CliError('--args must be a JSON object');
    const timeMs = values.time ? Date.parse(values.time as string) : Date.now();
    if (Number.isNaN(timeMs)) throw new CliError('--time is not an ISO date-time');
    let def: ToolDef | undefined;
    if (values['tool-def']) {
      try {
        def = { name: values.tool as string, ...(JSON.parse(readFileSync(values['tool-def'] as string, 'utf8')) as object) };
      } catch (err) {
        throw new CliError(`--tool-def: ${(err as Error).message}`);
      }
    }
    const list = (v: unknown) => (typeof v === 'string' && v ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);
    const identity = (values.as as string | undefined) ?? 'policy-explain';
    const ev = await evaluate(
      loaded,
      { server: values.server as string | undefined, tool: values.tool as string, args: args as Record<string, unknown>, identity, roles: list(values.roles), sessionLabels: list(values.labels), timeMs, def },
      { quotas: new MemoryQuotaStore(), resolve: dnsResolver(loaded.config.mcp.security.argumentGuards.dnsTimeoutSeconds * 1000), consume: false },
    );
    if (values.json) {
      process.stdout.write(JSON.stringify({ decision: ev.allowed ? 'allow' : 'deny', server: ev.server, tool: ev.tool, identity, rule: ev.denied?.rule, argument: ev.denied?.argument, steps: ev.steps }, null, 2) + '\n');
    } else {
      const out = [`tool '${ev.tool}' on server '${ev.server}', as '${identity}'`, 'rules that matched, in order:', ...formatSteps(ev.steps)];
      out.push(ev.allowed ? 'decision: ALLOW' : `decision: DENY by ${ev.denied!.rule}${ev.denied!.argument ? ` (argument '${ev.denied!.argument}')` : ''}`);
      process.stdout.write(out.join('\n') + '\n');
    }
    return ev.allowed ? 0 : 1;
  },
};
