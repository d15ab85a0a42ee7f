/**
 * The operator's `inspection.customRules` (config/custom-rule-schema.ts) on one message's strings:
 * the rules that apply to this direction and tool go into one RE2.Set (one linear pass a string,
 * as the built-in rules), and only the rules the set reports are run again to locate every match
 * (redaction needs the spans). Findings are `custom.<id>`, category `custom`, and carry no
 * excerpt: the operator's pattern may well match a secret.
 *
 * Compiled once per rule list (the effective settings of a server are built once at load, so the
 * list is the same object on every call) and per direction/tool, kept in a WeakMap.
 */
import RE2 from 're2';
import type { CustomRule } from '../config/custom-rule-schema.ts';
import type { Finding } from '../detect/finding.ts';
import { re2SetInput } from '../detect/re2-input.ts';
import type { CallContext } from '../pipeline/types.ts';
import { compileNamePattern, nameSubject, type NameRef, type NameSubject } from '../policy/name-match.ts';

export type CustomAction = NonNullable<CustomRule['action']>;

interface Compiled {
  set: InstanceType<typeof RE2.Set>;
  each: RE2[];
  rules: CustomRule[];
}

const cache = new WeakMap<readonly CustomRule[], Map<string, Compiled | null>>();

function applies(r: CustomRule, dir: 'argument' | 'result', tool: NameSubject | undefined): boolean {
  if (r.appliesTo !== 'both' && r.appliesTo !== (dir === 'argument' ? 'arguments' : 'results')) return false;
  if (!r.tools) return true;
  // Matching more only refuses more: any spelling of the name, case-folded, as deny rules do.
  return tool !== undefined && r.tools.some((g) => compileNamePattern('tool', g).folded(tool));
}

function compiledFor(rules: readonly CustomRule[], dir: 'argument' | 'result', tool: NameRef | undefined): Compiled | undefined {
  let byKey = cache.get(rules);
  if (!byKey) cache.set(rules, (byKey = new Map()));
  const key = `${dir}\0${tool ? `${tool.server}\0${tool.name}` : ''}`;
  const hit = byKey.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const subject = tool && nameSubject(tool);
  const mine = rules.filter((r) => applies(r, dir, subject));
  const c = mine.length ? { set: new RE2.Set(mine.map((r) => r.pattern), 'u'), each: mine.map((r) => new RE2(r.pattern, 'gu')), rules: mine } : null;
  // Bounded: one entry per direction and tool of the configured servers (unknown tools are refused before inspection).
  if (byKey.size < 4096) byKey.set(key, c);
  return c ?? undefined;
}

/** Every custom-rule match in one string, with its span. */
export function scanCustom(rules: readonly CustomRule[], text: string, path: string, dir: 'argument' | 'result', tool?: NameRef): Finding[] {
  if (rules.length === 0 || text.length === 0) return [];
  const c = compiledFor(rules, dir, tool);
  if (!c) return [];
  const out: Finding[] = [];
  for (const i of c.set.match(re2SetInput(text))) {
    const rule = c.rules[i]!;
    const re = c.each[i]!;
    re.lastIndex = 0;
    // At most 1000 spans a rule a string: enough to redact, bounded on hostile text.
    for (let m = re.exec(text), n = 0; m && n < 1000; m = re.exec(text), n++) {
      out.push({ category: 'custom', rule: `custom.${rule.id}`, severity: rule.severity, path, start: m.index, end: m.index + m[0].length });
      if (m[0].length === 0) re.lastIndex++;
    }
  }
  return out;
}

/** The action a custom finding's own rule names, if it names one. */
export function customActionOf(rules: readonly CustomRule[], f: Finding): CustomAction | undefined {
  return rules.find((r) => `custom.${r.id}` === f.rule)?.action;
}

/** The tool a call names, for rules scoped with `tools` (prompts, resources: none). */
export function calledTool(ctx: CallContext): NameRef | undefined {
  const t = ctx.target;
  if (ctx.method !== 'tools/call' || !t || t.name === undefined) return undefined;
  return { kind: 'tool', server: t.server.name, name: t.name, servers: ctx.services.namespacer.serverNames };
}
