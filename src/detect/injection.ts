/**
 * Prompt-injection rules engine: one RE2.Set pass per string.
 *
 * The text is normalized first (normalize.ts), then every rule is tried at once by RE2's set
 * matcher (one automaton, linear in the input, no backtracking an attacker could exploit). Only
 * the rules that matched are run again on their own, to locate the match for the excerpt and
 * to apply two context adjustments:
 * - a `mention` rule matched as a short quoted phrase (a quote mark right before AND right
 *   after it) or as an example ("such as", "e.g.") is lowered one level: that is how articles
 *   and docs talk ABOUT injection. An attacker can quote too; the lowered finding is still
 *   reported (medium), and any second family in the same string raises it to high again.
 * - a credential/leak request shortly after "never / do not" is lowered to low ("we will never
 *   ask you to send your API key" is advice, not a request).
 * Two or more different rule families matching close together (PROXIMITY) add an
 * `injection.combined` finding one level above the strongest, because real payloads chain an
 * override with an action (exfiltrate, call a tool, hide it from the user) while benign text
 * rarely trips two families in one paragraph.
 *
 * Obfuscation findings from normalization (tag characters, zero-width, bidi, homoglyphs,
 * base64) are returned too, with category `obfuscation`: hiding text from the user is itself
 * the signal.
 */
import RE2 from 're2';
import { SEVERITY_RANK, type Finding, type Severity } from './finding.ts';
import { normalize } from './normalize.ts';
import { CODE_RULES, type CodeRule } from './code-rules.ts';
import { looksLikeCode } from './code-context.ts';
import { INJECTION_RULES, type InjectionRule } from './injection-rules.ts';

/** Injection phrasing and code-execution shapes (code-rules.ts), one set: one pass per string. */
const RULES: ReadonlyArray<InjectionRule & Partial<Pick<CodeRule, 'inCode'>>> = [...INJECTION_RULES, ...CODE_RULES];

const LEVELS: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const lower = (s: Severity): Severity => LEVELS[Math.max(0, SEVERITY_RANK[s] - 2)];
const raise = (s: Severity): Severity => LEVELS[Math.min(3, SEVERITY_RANK[s])];

const QUOTE_BEFORE = /["'`“”‘’«»„]\s?$/;
/** The quote closes within the same clause (no sentence end first): a quoted example phrase. */
const QUOTE_AFTER = /^[^"'`“”‘’«».!?\n]{0,40}["'`“”‘’«»]/;
/** "such as", "e.g." just before the match or inside it: an example, not an instruction. */
const EXAMPLE = /\b(?:e\.g\.|such as|for example|for instance|known as|phrases? like|called)[:,]?\s?["'`“‘«]?\s?$/;
const EXAMPLE_INSIDE = /\b(?:such as|e\.g\.|for example|for instance)\b/;
const NEGATION_BEFORE = /\b(?:never|not|n't|dont|don't|do not|must not|should not|without)\b[^.!?\n]{0,30}$/;
/**
 * An operating-system error message (`ENOENT: no such file or directory, open '/root/.ssh/id_rsa'`,
 * `EROFS: read-only file system, open '/etc/passwd'`): tools report failed file access this way,
 * and the message and syscall read like "read ... passwd" to the rules. Only the credential rules
 * are lowered by it; exfiltration and override rules still fire on the same text.
 */
const ERRNO = /\be(?:noent|acces|perm|rofs|isdir|notdir|exist|loop|nametoolong|busy|io|mfile|nfile|again|inval|notempty|xdev): [^,\n]{0,60}, [a-z]{2,12} ?['"]?/;
const CONTEXT = 40;
const EXCERPT = 120;

interface Compiled {
  set: InstanceType<typeof RE2.Set>;
  each: RE2[];
}
let compiled: Compiled | undefined;

function compile(): Compiled {
  if (compiled) return compiled;
  const sources = RULES.map((r) => r.pattern);
  // The whole set compiles within 32 MiB (bounded repeats use ASCII classes: a repeated Unicode
  // class is a large UTF-8 automaton); 64 MiB leaves room for the DFA cache on long inputs.
  compiled = { set: new RE2.Set(sources, 'u', { maxMem: 64 << 20 }), each: sources.map((s) => new RE2(s, 'u')) };
  return compiled;
}

/** A byte range of the UTF-8 text as a string (a cut multi-byte character becomes U+FFFD). */
function slice(buf: Buffer, from: number, to: number): string {
  return buf.toString('utf8', Math.max(0, from), Math.min(buf.length, to));
}

function excerptOf(buf: Buffer, start: number, end: number): string {
  const from = Math.max(0, start - 20);
  return slice(buf, from, Math.min(end + 20, from + EXCERPT)).replace(/[\p{Cc}\p{Cf}\ufffd]/gu, ' ');
}

/**
 * Two families count together only when their matches are this close (bytes of normalized text):
 * a payload chains them in a paragraph, while a long benign page can hold a medium of one family
 * in its install section and another in its API section.
 */
const PROXIMITY = 600;

function combined(hits: ReadonlyArray<{ family: string; severity: Severity; start: number }>): { families: string[]; strongest: Severity } | undefined {
  let best: { families: string[]; strongest: Severity } | undefined;
  for (const a of hits) {
    const near = hits.filter((b) => Math.abs(b.start - a.start) <= PROXIMITY);
    const families = [...new Set(near.map((b) => b.family))].sort();
    if (families.length < 2) continue;
    const strongest = near.reduce<Severity>((m, b) => (SEVERITY_RANK[b.severity] > SEVERITY_RANK[m] ? b.severity : m), 'low');
    if (!best || SEVERITY_RANK[strongest] > SEVERITY_RANK[best.strongest]) best = { families, strongest };
  }
  return best;
}

function adjust(rule: InjectionRule, before: string, match: string, after: string): Severity {
  if (rule.mention) {
    // A short quoted phrase ("ignore previous instructions") or an example is how docs and
    // articles mention an attack; a quote that opens an attribute or a JSON value does not close
    // right after the phrase, so it is not lowered.
    const quoted = QUOTE_BEFORE.test(before) && QUOTE_AFTER.test(after);
    if (quoted || EXAMPLE.test(before) || EXAMPLE_INSIDE.test(match)) return lower(rule.severity);
  }
  if ((rule.family === 'credentials' || rule.family === 'leak') && (NEGATION_BEFORE.test(before) || ERRNO.test(before + match))) return 'low';
  return rule.severity;
}

export function scanInjection(text: string, path?: string): Finding[] {
  return scanInjectionNormalized(text, path).findings;
}

/** The rules' findings and the normalized text they read (which the model reads too: normalized once). */
export function scanInjectionNormalized(text: string, path?: string): { findings: Finding[]; normalized: string } {
  const norm = normalize(text);
  return { findings: matchRules(text, norm, path), normalized: norm.text };
}

function matchRules(text: string, norm: ReturnType<typeof normalize>, path: string | undefined): Finding[] {
  const { set, each } = compile();
  const findings: Finding[] = norm.hidden.map((f) => (path === undefined ? f : { ...f, path }));
  if (norm.text.length === 0) return findings;
  // One UTF-8 copy for the set and every located rule (a string argument would be converted
  // again on each call); offsets below are bytes of it.
  const buf = Buffer.from(norm.text);
  const hits = set.match(buf);
  if (hits.length === 0) return findings;
  const located: Array<{ family: string; severity: Severity; start: number }> = [];
  let code: boolean | undefined;
  for (const index of hits.sort((a, b) => a - b)) {
    const rule = RULES[index];
    const m = each[index].exec(buf);
    const start = m?.index ?? 0;
    const end = start + (m?.[0].length ?? 0);
    // A context-dependent code rule is lowered inside source code (the original text: normalization collapsed its lines).
    const severity = rule.inCode && (code ??= looksLikeCode(text)) ? rule.inCode : adjust(rule, slice(buf, start - CONTEXT, start), slice(buf, start, end), slice(buf, end, end + 48));
    if (SEVERITY_RANK[severity] >= SEVERITY_RANK.medium) located.push({ family: rule.family, severity, start });
    const f: Finding = { category: 'injection', rule: rule.id, severity, excerpt: excerptOf(buf, start, end) };
    if (path !== undefined) f.path = path;
    findings.push(f);
  }
  const chain = combined(located);
  if (chain) {
    const f: Finding = { category: 'injection', rule: 'injection.combined', severity: raise(chain.strongest), excerpt: chain.families.join('+') };
    if (path !== undefined) f.path = path;
    findings.push(f);
  }
  return findings;
}

/** The rule table, for docs and the evaluation script. */
export function injectionRuleIds(): string[] {
  return RULES.map((r) => r.id);
}
