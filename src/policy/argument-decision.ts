/**
 * The argument-level decision for one tool call, after the tool itself was allowed by name.
 * One function for the gateway stage, `policy explain` and `policy test`, so what an operator
 * tests is what the gateway does.
 *
 * Order (cheap and side-effect free first; the quota, which spends, last):
 *   1. flow rules        the session's taint against the tool's labels
 *   2. client configs    write-like tools may not write MCP client configuration files (any depth)
 *   3. when              the rule's CEL condition
 *   4. operands          no value starting with `-`
 *   5. paths, SQL, URLs  the rule's constraints on the arguments they apply to
 *   6. private addresses the SSRF guard on every URL and host among the values (any depth) that
 *                        no rule URL constraint covered
 *   7. quotas            counted only for calls that passed everything else
 * Every check leaves a step (rule, argument, outcome, reason); the first denial decides.
 */
import type { ToolDef } from '../gateway/catalog.ts';
import type { CelBindings } from './cel-condition.ts';
import { clientConfigStep, lazyLeaves, privateAddressStep } from './argument-guards.ts';
import { argumentValues, declaresArgument, inferArguments, isWriteLike, type ArgumentKind } from './argument-inference.ts';
import { compileGuards, compileRule, type CompiledQuota, type CompiledRule, type RuleObject } from './compiled-rules.ts';
import type { Security } from '../config/schema.ts';
import { violatedFlowRule } from './flow-rules.ts';
import type { ConstraintVerdict } from './path-constraint.ts';
import type { QuotaStore } from '../state/quota-store.ts';
import type { Resolver } from './url-constraint.ts';

export interface CallFacts {
  server: string;
  /** The tool's name on its server. */
  tool: string;
  /** Every configured server (names are namespaced when there are several), for label patterns. */
  servers: readonly string[];
  def?: ToolDef;
  args: Record<string, unknown>;
  principal: CelBindings['principal'];
  session: { id: string; labels: ReadonlySet<string>; protocolVersion?: string; client?: { name?: string; version?: string } };
  nowMs: number;
}

export interface MatchedRule {
  /** The allow entry's label from the tool decision, e.g. `allowedTools[2]: file.read`. */
  label: string;
  rule: RuleObject;
}

export interface PolicyEnv {
  quotas: QuotaStore;
  resolve: Resolver;
  /** false for `policy explain`: quotas are looked at, not spent. */
  consume: boolean;
  /** A 2026-07-28 retry continues a call whose quota was counted when it started. */
  skipQuotas?: boolean;
}

export interface Step {
  rule: string;
  argument?: string;
  outcome: 'allow' | 'deny';
  reason: string;
}

export interface ArgumentDecision {
  allowed: boolean;
  steps: Step[];
  denied?: Step;
  /** Set when a quota refused the call. */
  retryAfterSeconds?: number;
  /** The tool's labels: a successful result taints the session with them. */
  labels: string[];
}

type Check = (value: unknown) => ConstraintVerdict | Promise<ConstraintVerdict>;

export async function decideArguments(sec: Security, matched: MatchedRule | undefined, f: CallFacts, env: PolicyEnv): Promise<ArgumentDecision> {
  const guards = compileGuards(sec);
  const labels = guards.toolLabels.labelsOf({ kind: 'tool', server: f.server, name: f.tool, servers: f.servers });
  const steps: Step[] = [];
  const done = (denied?: Step, retryAfterSeconds?: number): ArgumentDecision => ({ allowed: !denied, steps, denied, retryAfterSeconds, labels });
  const deny = (rule: string, reason: string, argument?: string): ArgumentDecision => {
    const s: Step = { rule, argument, outcome: 'deny', reason };
    steps.push(s);
    return done(s);
  };

  const flow = violatedFlowRule(guards.flowRules, f.session.labels, labels);
  if (flow) return deny(flow.rule, flow.reason);
  if (guards.flowRules.length && labels.length) steps.push({ rule: 'flowRules', outcome: 'allow', reason: `labels [${labels.join(', ')}], session [${[...f.session.labels].join(', ')}]` });

  const inferred = inferArguments(f.def, f.args);
  const leaves = lazyLeaves(f.args);
  if (guards.clientConfig && isWriteLike(f.def, f.tool)) {
    const d = clientConfigStep(leaves, guards.clientConfig, steps);
    if (d) return done(d);
  }

  const rule = matched ? compileRule(matched.rule) : undefined;
  const base = matched ? matched.label.slice(0, matched.label.indexOf(':')) : '';
  let urlCovered: string[] = [];
  if (rule && matched) {
    if (rule.when) {
      const r = rule.when.evaluate({ principal: f.principal, server: f.server, tool: f.tool, args: f.args, timeMs: f.nowMs, session: { ...f.session, labels: [...f.session.labels] } });
      if ('error' in r) return deny(`${base}.when`, `the condition could not be evaluated: ${r.error}`);
      if (!r.value) return deny(`${base}.when`, `the condition is false: ${rule.when.source}`);
      steps.push({ rule: `${base}.when`, outcome: 'allow', reason: `true: ${rule.when.source}` });
    }
    for (const name of rule.operands ?? []) {
      const { values } = argumentValues(f.args, name);
      const bad = values.find((v) => typeof v === 'string' && v.startsWith('-'));
      if (bad !== undefined) return deny(`${base}.operands`, `'${String(bad).slice(0, 64)}' starts with '-' (option injection)`, name);
      if (values.length) steps.push({ rule: `${base}.operands`, argument: name, outcome: 'allow', reason: 'no leading -' });
    }
    const kinds: [ArgumentKind, Check | undefined, string][] = [
      ['path', rule.path, 'paths'],
      ['sql', rule.sql && ((v) => rule.sql!(v, databaseArgument(f.args, inferred.database))), 'sql'],
      ['url', rule.url && ((v) => rule.url!(v, env.resolve)), 'url'],
    ];
    for (const [kind, check, what] of kinds) {
      if (!check) continue;
      const names = targets(rule, kind, inferred);
      const missing = names.filter((n) => !declaresArgument(f.def, n));
      if (names.length === 0 || missing.length === names.length) {
        return deny(`${base}.argument`, `the rule constrains ${what} but the tool has no such argument${rule.arguments ? ` (${rule.arguments.join(', ')})` : ''}; set \`argument\``);
      }
      const d = await checkEach(names, f.args, check, `${base}.${what}`, steps, (r) => `${base}.${r}`);
      if (d) return done(d);
      if (kind === 'url') urlCovered = names;
    }
  }

  if (guards.urlGuard) {
    const d = await privateAddressStep(leaves, { urlArguments: inferred.url, covered: urlCovered }, guards.urlGuard, env.resolve, steps);
    if (d) return done(d);
  }

  if (rule && matched && !env.skipQuotas) {
    for (const q of rule.quotas) {
      const r = await spendQuota(q, f, env);
      if (!r.allowed) {
        const s: Step = { rule: `${base}.${q.label}`, outcome: 'deny', reason: `quota of ${r.max} per ${r.window} reached for ${scopeText(q, f)}` };
        steps.push(s);
        return done(s, Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
      }
      steps.push({ rule: `${base}.${q.label}`, outcome: 'allow', reason: `${r.summary} for ${scopeText(q, f)}${env.consume ? '' : ' (not counted)'}` });
    }
  }
  return done();
}

/** The argument names a rule's constraint of this kind applies to. */
function targets(rule: CompiledRule, kind: ArgumentKind, inferred: Record<ArgumentKind, string[]>): string[] {
  return rule.arguments ?? inferred[kind];
}

function databaseArgument(args: Record<string, unknown>, names: string[]): unknown {
  for (const n of names) if (args[n] !== undefined) return args[n];
  return undefined;
}

/** Run a check on every value of every named argument; returns the denying step, if any. */
async function checkEach(names: readonly string[], args: Record<string, unknown>, check: Check, allowLabel: string, steps: Step[], denyLabel: (verdictRule: string) => string): Promise<Step | undefined> {
  for (const name of names) {
    for (const v of argumentValues(args, name).values) {
      const r = await check(v);
      if (!r.ok) {
        const s: Step = { rule: denyLabel(r.rule), argument: name, outcome: 'deny', reason: r.reason };
        steps.push(s);
        return s;
      }
      steps.push({ rule: allowLabel, argument: name, outcome: 'allow', reason: r.note });
    }
  }
  return undefined;
}

function scopeKey(q: CompiledQuota, f: CallFacts): string {
  return q.per.map((p) => (p === 'identity' ? `id=${f.principal.subject}` : p === 'tool' ? `tool=${f.server}/${f.tool}` : `server=${f.server}`)).join('|');
}

function scopeText(q: CompiledQuota, f: CallFacts): string {
  return q.per.map((p) => (p === 'identity' ? `identity '${f.principal.subject}'` : p === 'tool' ? `tool '${f.server}/${f.tool}'` : `server '${f.server}'`)).join(', ');
}

async function spendQuota(q: CompiledQuota, f: CallFacts, env: PolicyEnv): Promise<{ allowed: boolean; retryAfterMs: number; max?: number; window?: string; summary: string }> {
  const key = `quota:${q.keyBase}:${scopeKey(q, f)}`;
  // explain looks without spending: the stored state stays what it was.
  const o = await env.quotas.consumeQuota(key, q.limits, f.nowMs, { spend: env.consume });
  const summary = q.limits.map((l) => `call ${o.counts[l.window] ?? 0} of ${l.max} this ${l.window}`).join(', ');
  return { allowed: o.allowed, retryAfterMs: o.retryAfterMs, max: o.exceeded?.max, window: o.exceeded?.window, summary };
}
