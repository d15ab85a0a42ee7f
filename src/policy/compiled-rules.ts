/**
 * An allow rule's argument constraints and a server's argument guards, compiled once.
 *
 * Configurations are frozen at load, so compiled forms are cached per rule and per effective
 * security object (WeakMaps): the first call pays for compiling, later calls only evaluate.
 */
import { createHash } from 'node:crypto';
import type { Security, ToolRule } from '../config/schema.ts';
import { compileCel, type CompiledCel } from './cel-condition.ts';
import { compileClientConfigCheck, type ClientConfigCheck } from './client-config-files.ts';
import { NameLabels, type FlowRule } from './flow-rules.ts';
import { compilePathConstraint, type PathCheck } from './path-constraint.ts';
import type { QuotaLimit } from './quota.ts';
import { compileSqlConstraint, type SqlCheck } from './sql-constraint.ts';
import { compileUrlConstraint, type UrlCheck } from './url-constraint.ts';

export type RuleObject = Exclude<ToolRule, string>;
export type QuotaScope = 'identity' | 'tool' | 'server';

export interface CompiledQuota {
  /** `conditions[i]` */
  label: string;
  limits: QuotaLimit[];
  per: QuotaScope[];
  /** Stable across restarts while the rule's text is unchanged; changing the rule starts new counters. */
  keyBase: string;
}

export interface CompiledRule {
  /** Explicit `argument:` names, or undefined to infer. */
  arguments?: string[];
  when?: CompiledCel;
  operands?: readonly string[];
  path?: PathCheck;
  sql?: SqlCheck;
  url?: UrlCheck;
  quotas: CompiledQuota[];
}

const ruleCache = new WeakMap<object, CompiledRule>();

function ruleHash(rule: RuleObject): string {
  return createHash('sha256').update(JSON.stringify(rule)).digest('base64url').slice(0, 16);
}

export function compileRule(rule: RuleObject): CompiledRule {
  const hit = ruleCache.get(rule);
  if (hit) return hit;
  const hasPaths = rule.allowedPaths !== undefined || rule.forbiddenPaths !== undefined;
  const hasSql = rule.allowedDatabases !== undefined || rule.forbiddenTables !== undefined || rule.readOnly !== undefined || rule.forbiddenFunctions !== undefined;
  const hasUrl = rule.allowedSchemes !== undefined || rule.allowedHosts !== undefined || rule.allowedPorts !== undefined || rule.allowPrivateAddresses !== undefined;
  const hash = ruleHash(rule);
  const out: CompiledRule = {
    arguments: rule.argument === undefined ? undefined : Array.isArray(rule.argument) ? [...rule.argument] : [rule.argument],
    when: rule.when !== undefined ? compileCel(rule.when) : undefined,
    operands: rule.operands,
    path: hasPaths ? compilePathConstraint(rule) : undefined,
    sql: hasSql ? compileSqlConstraint(rule) : undefined,
    url: hasUrl ? compileUrlConstraint(rule, { mode: 'rule' }) : undefined,
    quotas: (rule.conditions ?? []).map((c, i) => {
      const limits: QuotaLimit[] = [];
      if (c.maxEventsPerMinute !== undefined) limits.push({ window: 'minute', max: c.maxEventsPerMinute });
      if (c.maxEventsPerHour !== undefined) limits.push({ window: 'hour', max: c.maxEventsPerHour });
      if (c.maxEventsPerDay !== undefined) limits.push({ window: 'day', max: c.maxEventsPerDay });
      return { label: `conditions[${i}]`, limits, per: Array.isArray(c.per) ? [...c.per] : [c.per], keyBase: `${hash}:${i}` };
    }),
  };
  ruleCache.set(rule, out);
  return out;
}

/** What applies to every tool of a server, whatever rule allowed it. */
export interface CompiledGuards {
  toolLabels: NameLabels;
  promptLabels: NameLabels;
  resourceLabels: NameLabels;
  flowRules: readonly FlowRule[];
  clientConfig?: ClientConfigCheck;
  /** The SSRF default for URL-like arguments; undefined when `privateAddresses: allow`. */
  urlGuard?: UrlCheck;
  dnsTimeoutMs: number;
}

const guardCache = new WeakMap<object, CompiledGuards>();

export function compileGuards(sec: Security): CompiledGuards {
  const hit = guardCache.get(sec);
  if (hit) return hit;
  const g = sec.argumentGuards;
  const out: CompiledGuards = {
    toolLabels: new NameLabels('tool', sec.toolLabels),
    promptLabels: new NameLabels('prompt', sec.promptLabels),
    resourceLabels: new NameLabels('resource', sec.resourceLabels),
    flowRules: sec.flowRules,
    clientConfig: g.clientConfigWrites === 'deny' ? compileClientConfigCheck(g.clientConfigFiles) : undefined,
    urlGuard: g.privateAddresses === 'deny' ? compileUrlConstraint({}, { mode: 'guard' }) : undefined,
    dnsTimeoutMs: g.dnsTimeoutSeconds * 1000,
  };
  guardCache.set(sec, out);
  return out;
}
