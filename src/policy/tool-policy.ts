/**
 * Whether a tool, prompt or resource may be used: deny list, then allow list, then the default.
 *
 * Deny always wins, whatever the list order, so an operator can carve `shell.*` out of an allow
 * of `*`. A tool has several names (the upstream's own and the namespaced one the client sees,
 * e.g. `read_file` and `fs__read_file`); a pattern matching any of them counts, so a rule written
 * against either spelling cannot be side-stepped by calling the other. The same decision answers
 * both "is it listed" and "may it be called". `rule` names the deciding entry for the audit
 * record only; the client sees an unknown tool.
 */
import type { Security, ToolRule } from '../config/schema.ts';
import { compileGlob, type GlobMatcher } from './glob.ts';

export interface AccessDecision {
  allowed: boolean;
  /** The deciding rule, e.g. `deniedTools[2]: shell.*`, `allowedTools[0]: calendar.*`, `defaultPolicy: deny`. */
  rule: string;
  /** The allow entry that matched (tools only), carrying its argument constraints. */
  matchedRule?: ToolRule;
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

function firstMatch<R>(entries: readonly Entry<R>[], names: readonly string[]): Entry<R> | undefined {
  for (const entry of entries) for (const name of names) if (entry.match(name)) return entry;
  return undefined;
}

/** The shared decision; `R` is what an allow entry carries (a tool rule, or just its pattern). */
class PatternPolicy<R> {
  private readonly defaultPolicy: DefaultPolicy;
  private readonly denied: Entry<string>[];
  private readonly allowed: Entry<R>[];

  constructor(defaultPolicy: DefaultPolicy, denied: Entry<string>[], allowed: Entry<R>[]) {
    this.defaultPolicy = defaultPolicy;
    this.denied = denied;
    this.allowed = allowed;
  }

  decide(names: readonly string[]): { allowed: boolean; rule: string; entry?: R } {
    // Something without a name cannot be matched by any rule, so even `defaultPolicy: allow` must not let it through.
    if (names.length === 0) return { allowed: false, rule: 'no name' };
    const deny = firstMatch(this.denied, names);
    if (deny) return { allowed: false, rule: deny.label };
    const allow = firstMatch(this.allowed, names);
    if (allow) return { allowed: true, rule: allow.label, entry: allow.rule };
    return { allowed: this.defaultPolicy === 'allow', rule: `defaultPolicy: ${this.defaultPolicy}` };
  }
}

const asPattern = (p: string): string => p;

export class ToolPolicy {
  private readonly policy: PatternPolicy<ToolRule>;

  constructor(access: Security['toolAccess']) {
    this.policy = new PatternPolicy(
      access.defaultPolicy,
      compileEntries('deniedTools', access.deniedTools, asPattern),
      compileEntries('allowedTools', access.allowedTools, (r: ToolRule) => (typeof r === 'string' ? r : r.pattern)),
    );
  }

  /** `names`: every name of one tool (upstream and namespaced). */
  decide(names: string[]): AccessDecision {
    const d = this.policy.decide(names);
    return d.entry === undefined ? { allowed: d.allowed, rule: d.rule } : { allowed: d.allowed, rule: d.rule, matchedRule: d.entry };
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
