/**
 * Whether a tool, prompt or resource may be used: deny list, then allow list, then the default.
 *
 * Deny always wins, whatever the list order, so an operator can carve `shell.*` out of an allow
 * of `*`. A tool has several names (the upstream's own and the namespaced one the client sees,
 * e.g. `read_file` and `fs__read_file`); a pattern matching any of them counts, so a rule written
 * against either spelling cannot be side-stepped by calling the other. The same decision answers
 * both "is it listed" and "may it be called". `rule` names the deciding entry for the audit
 * record only; the client sees an unknown tool.
 *
 * An allow rule may name who it is for (`subjects`, `roles`, `groups`, `scopes`: any of each list
 * given, every list given): it applies only to matching callers. A tool whose name matches allow
 * rules none of which applies to the caller is denied, whatever the default: "role analyst may
 * call database.query" means others may not. A deny rule may name callers the same way
 * (`{pattern: "shell.*", roles: [contractor]}`); it then denies only them.
 */
import type { Security, ToolDenyRule, ToolRule } from '../config/schema.ts';
import { compileGlob, type GlobMatcher } from './glob.ts';

/** What a rule can know about the caller (a Principal, or the policy CLI's stand-in). */
export interface Caller {
  subject: string;
  method?: string;
  roles: readonly string[];
  groups?: readonly string[];
  scopes?: readonly string[];
}

export interface AccessDecision {
  allowed: boolean;
  /** The deciding rule, e.g. `deniedTools[2]: shell.*`, `allowedTools[0]: calendar.*`, `defaultPolicy: deny`. */
  rule: string;
  /** The allow entry that matched (tools only), carrying its argument constraints. */
  matchedRule?: ToolRule;
  /** Allowed by the rule, but the caller lacks these of its `requiredScopes`: refused with a step-up challenge. */
  missingScopes?: string[];
}

type DefaultPolicy = 'allow' | 'deny';

interface Entry<R> {
  label: string;
  match: GlobMatcher;
  rule: R;
}

function compileEntries<R>(listName: string, rules: readonly R[], patternOf: (rule: R) => string): Entry<R>[] {
  return rules.map((rule, i) => {
    const pattern = patternOf(rule);
    return { label: `${listName}[${i}]: ${pattern}`, match: compileGlob(pattern), rule };
  });
}

function firstMatch<R>(entries: readonly Entry<R>[], names: readonly string[], applies?: (rule: R) => boolean): { entry?: Entry<R>; nameMatched: boolean } {
  let nameMatched = false;
  for (const entry of entries) {
    if (!names.some((name) => entry.match(name))) continue;
    nameMatched = true;
    if (!applies || applies(entry.rule)) return { entry, nameMatched };
  }
  return { nameMatched };
}

/** No identity at all: a rule that names callers never applies to it. */
const NOBODY: Caller = Object.freeze({ subject: '', roles: [] });

const anyOf = (want: readonly string[] | undefined, have: readonly string[] | undefined): boolean => want === undefined || want.some((x) => have?.includes(x));

/** Whether a rule's identity conditions hold for this caller (a plain glob has none). */
export function ruleAppliesTo(rule: ToolRule | ToolDenyRule, caller: Caller): boolean {
  if (typeof rule === 'string') return true;
  return anyOf(rule.subjects, [caller.subject]) && anyOf(rule.roles, caller.roles) && anyOf(rule.groups, caller.groups) && anyOf(rule.scopes, caller.scopes);
}

/** The shared decision; `R` is what an allow entry carries (a tool rule, or just its pattern). */
class PatternPolicy<R, D = string> {
  private readonly defaultPolicy: DefaultPolicy;
  private readonly denied: Entry<D>[];
  private readonly allowed: Entry<R>[];

  constructor(defaultPolicy: DefaultPolicy, denied: Entry<D>[], allowed: Entry<R>[]) {
    this.defaultPolicy = defaultPolicy;
    this.denied = denied;
    this.allowed = allowed;
  }

  decide(names: readonly string[], applies?: (rule: R) => boolean, denies?: (rule: D) => boolean): { allowed: boolean; rule: string; entry?: R } {
    // Something without a name cannot be matched by any rule, so even `defaultPolicy: allow` must not let it through.
    if (names.length === 0) return { allowed: false, rule: 'no name' };
    const deny = firstMatch(this.denied, names, denies).entry;
    if (deny) return { allowed: false, rule: deny.label };
    const allow = firstMatch(this.allowed, names, applies);
    if (allow.entry) return { allowed: true, rule: allow.entry.label, entry: allow.entry.rule };
    if (allow.nameMatched) return { allowed: false, rule: 'allowedTools: no rule for this tool applies to the caller' };
    return { allowed: this.defaultPolicy === 'allow', rule: `defaultPolicy: ${this.defaultPolicy}` };
  }
}

const asPattern = (p: string): string => p;
const patternOf = (r: ToolRule | ToolDenyRule): string => (typeof r === 'string' ? r : r.pattern);

export class ToolPolicy {
  private readonly policy: PatternPolicy<ToolRule, ToolDenyRule>;

  constructor(access: Security['toolAccess']) {
    this.policy = new PatternPolicy(
      access.defaultPolicy,
      compileEntries('deniedTools', access.deniedTools, patternOf),
      compileEntries('allowedTools', access.allowedTools, patternOf),
    );
  }

  /** `names`: every name of one tool (upstream and namespaced); `caller`: who asks. */
  decide(names: string[], caller: Caller = NOBODY): AccessDecision {
    const d = this.policy.decide(names, (r) => ruleAppliesTo(r, caller), (r) => ruleAppliesTo(r, caller));
    if (d.entry === undefined) return { allowed: d.allowed, rule: d.rule };
    const required = typeof d.entry === 'string' ? undefined : d.entry.requiredScopes;
    const missing = required?.filter((s) => !caller.scopes?.includes(s));
    return missing?.length ? { allowed: d.allowed, rule: d.rule, matchedRule: d.entry, missingScopes: missing } : { allowed: d.allowed, rule: d.rule, matchedRule: d.entry };
  }
}

export interface NameAccess {
  defaultPolicy: DefaultPolicy;
  allowed: string[];
  denied: string[];
}

/** The same semantics for prompts and resources, which have plain pattern lists. */
export class NamePolicy {
  private readonly policy: PatternPolicy<string>;

  constructor(access: NameAccess) {
    this.policy = new PatternPolicy(
      access.defaultPolicy,
      compileEntries('denied', access.denied, asPattern),
      compileEntries('allowed', access.allowed, asPattern),
    );
  }

  decide(names: string[]): AccessDecision {
    const d = this.policy.decide(names);
    return { allowed: d.allowed, rule: d.rule };
  }
}
