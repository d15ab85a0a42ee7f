/**
 * Whether a tool, prompt or resource may be used: deny list, then allow list, then the default.
 *
 * Deny always wins, whatever the list order, so an operator can carve `shell.*` out of an allow
 * of `*`. How a pattern meets a name is name-match.ts: a deny pattern matches any spelling of
 * the name (own or exposed, case and Unicode form folded), so a rule cannot be side-stepped by
 * another spelling; an allow pattern matches exactly, and one with a server prefix
 * (`files__read_*`) only that server's tools. The same decision answers both "is it listed"
 * and "may it be called". `rule` names the deciding entry for the audit record only; the client
 * sees an unknown tool.
 *
 * An allow rule may name who it is for (`subjects`, `roles`, `groups`, `scopes`: any of each list
 * given, every list given): it applies only to matching callers. A tool whose name matches allow
 * rules none of which applies to the caller is denied, whatever the default: "role analyst may
 * call database.query" means others may not. A deny rule may name callers the same way
 * (`{pattern: "shell.*", roles: [contractor]}`); it then denies only them.
 */
import type { Security, ToolDenyRule, ToolRule } from '../config/schema.ts';
import { compileNamePattern, nameSubject, type NameKind, type NamePattern, type NameRef, type NameSubject } from './name-match.ts';

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
  pattern: NamePattern;
  rule: R;
}

type Matches = (pattern: NamePattern, subject: NameSubject) => boolean;
/** Deny entries match any spelling, folded; allow entries exactly (name-match.ts). */
const folded: Matches = (p, s) => p.folded(s);
const exact: Matches = (p, s) => p.exact(s);

function compileEntries<R>(kind: NameKind, listName: string, rules: readonly R[], patternOf: (rule: R) => string): Entry<R>[] {
  return rules.map((rule, i) => {
    const pattern = patternOf(rule);
    return { label: `${listName}[${i}]: ${pattern}`, pattern: compileNamePattern(kind, pattern), rule };
  });
}

function firstMatch<R>(entries: readonly Entry<R>[], subject: NameSubject, matches: Matches, applies?: (rule: R) => boolean): { entry?: Entry<R>; nameMatched: boolean } {
  let nameMatched = false;
  for (const entry of entries) {
    if (!matches(entry.pattern, subject)) continue;
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

  decide(ref: NameRef, applies?: (rule: R) => boolean, denies?: (rule: D) => boolean): { allowed: boolean; rule: string; entry?: R } {
    // Something without a name cannot be matched by any rule, so even `defaultPolicy: allow` must not let it through.
    if (ref.name === '') return { allowed: false, rule: 'no name' };
    const subject = nameSubject(ref);
    // A URI no rule can read is refused wherever a deny rule could have meant it (fail closed).
    if (subject.unreadable && this.denied.length) return { allowed: false, rule: 'denied: the URI cannot be normalized (RFC 3986)' };
    const deny = firstMatch(this.denied, subject, folded, denies).entry;
    if (deny) return { allowed: false, rule: deny.label };
    const allow = firstMatch(this.allowed, subject, exact, applies);
    if (allow.entry) return { allowed: true, rule: allow.entry.label, entry: allow.entry.rule };
    if (allow.nameMatched) return { allowed: false, rule: 'allowedTools: no rule for this tool applies to the caller' };
    return { allowed: this.defaultPolicy === 'allow', rule: `defaultPolicy: ${this.defaultPolicy}` };
  }

  /** Every entry whose pattern matches, in list order (for `policy explain`): deny, then allow. */
  matching(ref: NameRef, applies?: (rule: R) => boolean, denies?: (rule: D) => boolean): { denied: string[]; allowed: string[] } {
    const subject = nameSubject(ref);
    return {
      denied: this.denied.filter((e) => folded(e.pattern, subject) && (!denies || denies(e.rule))).map((e) => e.label),
      allowed: this.allowed.filter((e) => exact(e.pattern, subject) && (!applies || applies(e.rule))).map((e) => e.label),
    };
  }
}

const asPattern = (p: string): string => p;
const patternOf = (r: ToolRule | ToolDenyRule): string => (typeof r === 'string' ? r : r.pattern);

export class ToolPolicy {
  private readonly policy: PatternPolicy<ToolRule, ToolDenyRule>;

  constructor(access: Pick<Security['toolAccess'], 'defaultPolicy' | 'allowedTools' | 'deniedTools'>) {
    this.policy = new PatternPolicy(
      access.defaultPolicy,
      compileEntries('tool', 'deniedTools', access.deniedTools, patternOf),
      compileEntries('tool', 'allowedTools', access.allowedTools, patternOf),
    );
  }

  /** `tool`: the tool on its server (`kind: 'tool'`); `caller`: who asks. */
  decide(tool: NameRef, caller: Caller = NOBODY): AccessDecision {
    const d = this.policy.decide(tool, (r) => ruleAppliesTo(r, caller), (r) => ruleAppliesTo(r, caller));
    if (d.entry === undefined) return { allowed: d.allowed, rule: d.rule };
    const required = typeof d.entry === 'string' ? undefined : d.entry.requiredScopes;
    const missing = required?.filter((s) => !caller.scopes?.includes(s));
    return missing?.length ? { allowed: d.allowed, rule: d.rule, matchedRule: d.entry, missingScopes: missing } : { allowed: d.allowed, rule: d.rule, matchedRule: d.entry };
  }

  /** The labels of every rule that names this tool for this caller, deny list first. */
  matching(tool: NameRef, caller: Caller = NOBODY): { denied: string[]; allowed: string[] } {
    return this.policy.matching(tool, (r) => ruleAppliesTo(r, caller), (r) => ruleAppliesTo(r, caller));
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

  constructor(kind: 'prompt' | 'resource', access: NameAccess) {
    this.policy = new PatternPolicy(
      access.defaultPolicy,
      compileEntries(kind, 'denied', access.denied, asPattern),
      compileEntries(kind, 'allowed', access.allowed, asPattern),
    );
  }

  decide(ref: NameRef): AccessDecision {
    const d = this.policy.decide(ref);
    return { allowed: d.allowed, rule: d.rule };
  }
}
