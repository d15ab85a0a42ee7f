/**
 * What `policy explain` and `policy test` share: one request evaluated offline against a
 * configuration, with the gateway's own decision functions (tool access, then argument policy),
 * and every rule that matched listed in order.
 */
import { mergeSecurity, type LoadedConfig } from '../config/load.ts';
import type { Security, SecurityOverride } from '../config/schema.ts';
import type { ToolDef } from '../gateway/catalog.ts';
import { Namespacer } from '../gateway/namespacing.ts';
import { inspectionSteps } from '../inspect/explain-inspection.ts';
import { decideArguments, type Step } from '../policy/argument-decision.ts';
import type { RuleObject } from '../policy/compiled-rules.ts';
import type { NameRef } from '../policy/name-match.ts';
import { ToolPolicy } from '../policy/tool-policy.ts';
import type { Resolver } from '../policy/url-constraint.ts';
import type { QuotaStore } from '../state/quota-store.ts';
import { CliError } from './common.ts';

export interface PolicyRequest {
  server?: string;
  tool: string;
  args: Record<string, unknown>;
  identity: string;
  roles: string[];
  sessionLabels: string[];
  timeMs: number;
  def?: ToolDef;
}

export interface Evaluation {
  server: string;
  tool: string;
  allowed: boolean;
  /** Every rule that matched, in the order the gateway consults them. */
  steps: Step[];
  denied?: Step;
  /** Labels of the tool: an allowed call taints its session with them. */
  labels: string[];
}

/** Which server and effective security a request names (`--server`, a namespaced name, the only server, or the global settings). */
export function target(loaded: LoadedConfig, req: { server?: string; tool: string }): { server: string; tool: string; ref: NameRef; security: Security } {
  const servers = loaded.servers;
  const ns = new Namespacer(servers.map((s) => s.name));
  let server = req.server;
  let tool = req.tool;
  if (!server && servers.length > 1) {
    const split = ns.splitName(req.tool);
    if (!split) throw new CliError(`tool '${req.tool}': with several servers, name it as <server>__<tool> or pass --server`);
    server = split.server;
    tool = split.name;
  }
  if (!server && servers.length === 1) server = servers[0].name;
  const found = servers.find((s) => s.name === server);
  if (found) return { server: found.name, tool, ref: { kind: 'tool', server: found.name, name: tool, servers: ns.serverNames }, security: found.effective };
  // No such server: the global settings, with the overrides a server of that name would get (mcp.skills).
  let security = loaded.config.mcp.security;
  for (const k of loaded.config.mcp.skills) if (k.name === server) security = mergeSecurity(security, k.security as SecurityOverride);
  // Not one of the gateway's servers, so its names are not namespaced.
  const name = server ?? '(global)';
  return { server: name, tool, ref: { kind: 'tool', server: name, name: tool, servers: [name] }, security };
}

export async function evaluate(loaded: LoadedConfig, req: PolicyRequest, env: { quotas: QuotaStore; resolve: Resolver; consume: boolean }): Promise<Evaluation> {
  const t = target(loaded, req);
  const steps: Step[] = [];
  const caller = { subject: req.identity, roles: req.roles };
  const policy = new ToolPolicy(t.security.toolAccess);
  // The gateway's own matching (deny: any spelling, folded; allow: exact, server prefixes kept);
  // rules that name callers (subjects, roles, ...) other than this one are not steps for it.
  const matching = policy.matching(t.ref, caller);
  for (const rule of matching.denied) steps.push({ rule, outcome: 'deny', reason: 'the name matches a deny pattern' });
  matching.allowed.forEach((rule, i) => steps.push({ rule, outcome: 'allow', reason: i ? 'matches too (the first match applies)' : 'the name matches' }));
  const d = policy.decide(t.ref, caller);
  const base = { server: t.server, tool: t.tool, labels: [] as string[] };
  if (!d.allowed) {
    const denied: Step = { rule: d.rule, outcome: 'deny', reason: d.rule.startsWith('defaultPolicy') ? 'no rule allows this tool' : d.rule.startsWith('allowedTools:') ? 'rules name this tool, but none is for this caller (subjects/roles/groups/scopes)' : 'the name matches a deny pattern' };
    if (!steps.some((s) => s.rule === d.rule)) steps.push(denied);
    return { ...base, allowed: false, steps, denied: steps.find((s) => s.rule === d.rule) ?? denied };
  }
  if (d.rule.startsWith('defaultPolicy')) steps.push({ rule: d.rule, outcome: 'allow', reason: 'no rule names this tool' });
  const matched = d.matchedRule && typeof d.matchedRule !== 'string' ? { label: d.rule, rule: d.matchedRule as RuleObject } : undefined;
  const a = await decideArguments(
    t.security,
    matched,
    {
      server: t.server,
      tool: t.tool,
      servers: t.ref.servers,
      def: req.def,
      args: req.args,
      principal: { subject: req.identity, method: 'policy-test', roles: req.roles },
      session: { id: 'policy', labels: new Set(req.sessionLabels) },
      nowMs: req.timeMs,
    },
    env,
  );
  steps.push(...a.steps);
  if (!a.allowed) return { ...base, allowed: false, steps, denied: a.denied, labels: a.labels };
  // Then what content inspection does to these arguments (injection score, secrets, PII).
  const inspected = await inspectionSteps(t.security.inspection, req.args, t.ref);
  steps.push(...inspected.steps);
  return { ...base, allowed: !inspected.denied, steps, denied: inspected.denied, labels: a.labels };
}

export function formatSteps(steps: readonly Step[]): string[] {
  return steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.outcome === 'deny' ? 'DENY ' : 'allow'}  ${s.rule}${s.argument ? `  [argument: ${s.argument}]` : ''}\n             ${s.reason}`);
}

/** A resolver that answers from a fixed table first (hermetic tests), then from DNS. */
export function tableResolver(table: Record<string, string[]>, fallback: Resolver): Resolver {
  return async (host) => table[host] ?? table[host.toLowerCase()] ?? fallback(host);
}
