/**
 * Injection findings for one string as inspection acts on them. With the model on (the default,
 * `inspection.injection.model.enabled`), rules and model make ONE score (detect/injection-score.ts)
 * and the string gets at most one injection finding: its severity is the tier the score reached
 * (flag → medium, quarantine → high, block → critical; the per-severity action tables then
 * apply as before), its rule is what decided — `injection.model`, or the rule whose finding
 * weighed more — and it carries the score, for the audit record, `policy explain` and the
 * quarantine view. Below the flag threshold nothing is reported. Code-execution and template
 * findings (`code.*`) keep their own severity. With the model off, the rules'
 * findings are returned as they are, each acted on by its own severity.
 *
 * Thresholds per site (result, argument, sampling/elicitation request), from the model's JSON.
 *
 * Trust (`injection.trust`, `injection.toolTrust` per tool glob, per server by override):
 * `untrusted` halves the flag and quarantine thresholds; `trusted` skips the model (cheaper: a
 * known-good internal server is scanned less) and lets the rules alone decide, each finding by its severity.
 */
import type { Inspection, TrustLevel } from '../config/inspection-schema.ts';
import type { Finding, Severity } from '../detect/finding.ts';
import { scanInjection } from '../detect/injection.ts';
import { scoreInjection, siteThresholds, strongestRule, type Site, type Thresholds, type Tier } from '../detect/injection-score.ts';
import { compileNamePattern, nameSubject, type NameRef } from '../policy/name-match.ts';

const SEVERITY: Readonly<Record<Exclude<Tier, 'allow'>, Severity>> = { flag: 'medium', quarantine: 'high', block: 'critical' };

export function trustFor(cfg: Inspection, tool: NameRef | undefined): TrustLevel {
  if (tool) {
    const subject = nameSubject(tool);
    for (const [glob, level] of Object.entries(cfg.injection.toolTrust)) if (compileNamePattern('tool', glob).folded(subject)) return level;
  }
  return cfg.injection.trust;
}

/** The site's shipped thresholds, each overridden by the operator's key where set (for every site alike), then trust. */
export function thresholdsFor(cfg: Inspection, trust: TrustLevel, site: Site): Thresholds {
  const t = { ...siteThresholds(site), ...cfg.injection.model.thresholds };
  return trust === 'untrusted' ? { flag: t.flag / 2, quarantine: t.quarantine / 2, block: t.block } : t;
}

export function injectionFindings(text: string, path: string | undefined, cfg: Inspection, site: Site, tool?: NameRef): Finding[] {
  if (!cfg.injection.model.enabled) return scanInjection(text, path);
  const trust = trustFor(cfg, tool);
  const { findings, score } = scoreInjection(text, path, thresholdsFor(cfg, trust, site), trust !== 'trusted');
  // Code-execution and template shapes (code-rules.ts) are a detector of their own the model was
  // not trained for: their findings act by their own severity, as with the model off.
  const others = findings.filter((f) => (f.category !== 'injection' && f.category !== 'obfuscation') || f.rule.startsWith('code.'));
  if (score.tier === 'allow') return others;
  const top = strongestRule(findings).finding;
  const f: Finding = { category: 'injection', rule: score.decidedBy === 'model' ? 'injection.model' : score.decidedBy, severity: SEVERITY[score.tier], score: Math.round(score.score * 1000) / 1000 };
  if (path !== undefined) f.path = path;
  if (top?.excerpt && score.decidedBy !== 'model') f.excerpt = top.excerpt;
  return [...others, f];
}
