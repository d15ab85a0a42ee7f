/**
 * The decision over one message's strings, shared by the argument and result stages: each leaf
 * is sanitized (results: terminal controls out of text content), then scanned ONCE by every
 * detector — injection rules (src/detect/injection.ts, one RE2.Set pass) and DLP (one RE2.Set
 * pass, secretlint only where an anchor matched, once per message) — and each finding gets the
 * action the configuration gives its category and severity. The strongest action wins:
 * block > quarantine > redact > flag.
 */
import type { Inspection } from '../config/inspection-schema.ts';
import { scanDlp } from '../detect/dlp.ts';
import type { ConfiguredClassifier as Classifier } from '../detect/classifier.ts';
import { SEVERITY_RANK, type Finding } from '../detect/finding.ts';
import { redactSpans, type Span } from '../detect/redact-spans.ts';
import { stripTerminalControls } from '../detect/terminal-controls.ts';
import type { NameRef } from '../policy/name-match.ts';
import { customActionOf, scanCustom } from './custom-rules.ts';
import type { Site } from '../detect/injection-score.ts';
import { injectionFindings } from './injection-decision.ts';
import { readTogether } from './read-together.ts';
import type { Leaf } from './string-leaves.ts';

export type Direction = 'result' | 'argument';
type Action = 'block' | 'quarantine' | 'redact' | 'flag';

export interface Verdict {
  /** The finding that decides a refusal or a quarantine. */
  block?: Finding;
  quarantine?: Finding;
  /** New values for the leaves that changed (sanitized and/or redacted). */
  changes: Array<{ keys: Array<string | number>; value: string }>;
  /** Findings acted on, with their action (allowed and switched-off ones are not here). */
  acted: Array<{ finding: Finding; action: Action }>;
  /** Paths whose terminal controls were stripped. */
  sanitized: string[];
  /** Arguments only: each leaf holding a secret or PII, redacted whatever the action — what the audit record may show. */
  auditChanges: Array<{ keys: Array<string | number>; value: string }>;
}

function actionFor(f: Finding, cfg: Inspection, dir: Direction): Action | undefined {
  let a: string;
  if (f.category === 'secret') a = dir === 'result' ? cfg.dlp.secrets : cfg.dlp.argumentSecrets;
  else if (f.category === 'pii') a = dir === 'result' ? cfg.dlp.pii : cfg.dlp.argumentPii;
  else if (f.category === 'custom') {
    const own = customActionOf(cfg.customRules, f);
    // Arguments have no quarantine: the call is refused instead.
    a = own === 'quarantine' && dir === 'argument' ? 'block' : (own ?? (dir === 'result' ? cfg.injection.results[f.severity] : cfg.injection.arguments[f.severity]));
  }
  else a = dir === 'result' ? cfg.injection.results[f.severity] : cfg.injection.arguments[f.severity];
  return a === 'off' || a === 'allow' ? undefined : (a as Action);
}

const RANK: Readonly<Record<Action, number>> = { flag: 1, redact: 2, quarantine: 3, block: 4 };

/** The label a redaction shows: the rule id without its category (`[REDACTED:aws-access-key]`). */
export const labelOf = (f: Finding) => f.rule.slice(f.rule.indexOf('.') + 1);

/**
/**
 * Values the injection scan provably finds nothing in: the content-block `type` words of the MCP
 * schema, one in every block. No injection rule matches them, and strings this short are never
 * given to the model (MODEL_MIN_CHARS), so for these exact values the scan returns nothing under
 * any thresholds or trust (test/unit/inspect-inert.test.ts asserts it, model on and off). They
 * are still read by DLP (with their neighbours) and by the operator's custom rules.
 */
export const INJECTION_INERT: ReadonlySet<string> = new Set(['text', 'image', 'audio', 'resource', 'resource_link']);

/**
 * `tool`: the tool called, when there is one (custom rules may be scoped to tools). `site`: whose
 * injection thresholds apply; a server's request toward the client's model (`sampling`) takes the
 * result actions with thresholds of its own.
 */
export async function inspectLeaves(leaves: readonly Leaf[], cfg: Inspection, dir: Direction, classifier?: Classifier, tool?: NameRef, site: Site = dir): Promise<Verdict> {
  const v: Verdict = { changes: [], acted: [], sanitized: [], auditChanges: [] };
  const texts = leaves.map((l) => (dir === 'result' && cfg.sanitizeOutput && l.isText ? stripTerminalControls(l.text) : l.text));
  const dlpOn = dir === 'result' || cfg.dlp.scanArguments;
  const secretsOff = (dir === 'result' ? cfg.dlp.secrets : cfg.dlp.argumentSecrets) === 'off';
  const piiOff = (dir === 'result' ? cfg.dlp.pii : cfg.dlp.argumentPii) === 'off';
  const dlp = dlpOn && !(secretsOff && piiOff)
    ? await scanDlp(
        readTogether(leaves).map((joinWith, i) => ({ text: texts[i]!, path: leaves[i]!.path, joinWith })),
        { secrets: !secretsOff, piiTypes: piiOff ? [] : cfg.dlp.piiTypes },
      )
    : undefined;
  const found = leaves.map((l, i) => [
    ...(INJECTION_INERT.has(texts[i]!) ? [] : injectionFindings(texts[i]!, l.path, cfg, site, tool)),
    ...(dlp?.[i] ?? []),
    ...scanCustom(cfg.customRules, texts[i]!, l.path, dir, tool),
  ]);
  if (classifier) await classify(classifier, leaves, texts, found);
  let top: Action | undefined;
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    const text = texts[i]!;
    const spans: Span[] = [];
    const auditSpans: Span[] = [];
    for (const f of found[i]!) {
      const action = actionFor(f, cfg, dir);
      if (!action) continue;
      v.acted.push({ finding: f, action });
      const span = { start: f.start ?? 0, end: f.end ?? text.length, label: labelOf(f) };
      if (action === 'redact') spans.push(span);
      // An operator's pattern may match a credential of their own format: kept out of the audit record as secrets are.
      if (dir === 'argument' && (f.category === 'secret' || f.category === 'pii' || f.category === 'custom')) auditSpans.push(span);
      if (!top || RANK[action] > RANK[top]) {
        top = action;
        if (action === 'block') v.block = f;
        if (action === 'quarantine') v.quarantine = f;
      }
    }
    if (auditSpans.length) v.auditChanges.push({ keys: leaf.keys, value: leaf.base64 ? '[REDACTED]' : redactSpans(text, auditSpans) });
    if (text !== leaf.text) v.sanitized.push(leaf.path);
    const value = redactSpans(text, spans);
    if (value !== leaf.text) v.changes.push({ keys: leaf.keys, value: leaf.base64 ? Buffer.from(value).toString('base64') : value });
  }
  return v;
}

/**
 * The optional model, after the rules, on the strings the rules left undecided (no injection
 * finding of high or more, the level whose default action acts): what the rules already caught
 * need not be paid for twice, and a medium rule hit (flagged only) can still be escalated.
 */
async function classify(classifier: Classifier, leaves: readonly Leaf[], texts: string[], found: Finding[][]): Promise<void> {
  const todo = leaves.map((_, i) => i).filter((i) => texts[i]!.trim() && !found[i]!.some((f) => f.category === 'injection' && SEVERITY_RANK[f.severity] >= SEVERITY_RANK.high));
  if (!todo.length) return;
  const scores = await classifier.classify(todo.map((i) => texts[i]!));
  todo.forEach((i, k) => {
    if ((scores[k] ?? 0) >= classifier.threshold) found[i]!.push({ category: 'injection', rule: 'injection.classifier', severity: 'high', path: leaves[i]!.path });
  });
}

/** For audit records: what matched and where, never the matched text. */
export const describe = (acted: Verdict['acted']) =>
  acted.map(({ finding: f, action }) => ({ rule: f.rule, category: f.category, severity: f.severity, path: f.path, action, ...(f.score !== undefined ? { score: f.score } : {}) }));
