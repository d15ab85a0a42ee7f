/**
 * Rules and model as ONE score per string (issue 13): the injection rules run (injection.ts),
 * the shipped model (model.ts) reads the same normalized text, and model.ts combines the two
 * calibrated probabilities. The score is compared with the thresholds per action; the result
 * names what decided — the model, or the rule whose finding weighed more — for the audit record,
 * `policy explain` and the quarantine view.
 */
import { SEVERITY_RANK, type Finding } from './finding.ts';
import { scanInjectionNormalized } from './injection.ts';
import { combinedScore, contributions, loadModel, modelProbability, textLogit, type Model } from './model.ts';

export type Tier = 'allow' | 'flag' | 'quarantine' | 'block';
export interface Thresholds { flag: number; quarantine: number; block: number }
/**
 * Where the text is inspected: a result (tool, resource or prompt answer, tool descriptions in a
 * list), the arguments of a call, or a request a server sends toward the client's model
 * (sampling/createMessage, elicitation/create). Each has thresholds of its own in the model.
 */
export type Site = 'result' | 'argument' | 'sampling';

/** The shipped thresholds for a site (the model's global ones where it has none for that site). */
export function siteThresholds(site: Site, model: Model = loadModel()): Thresholds {
  return model.meta.siteThresholds?.[site] ?? model.meta.thresholds;
}

export interface InjectionScore {
  /** Combined, 0..1. */
  score: number;
  /** The model's calibrated probability. */
  model: number;
  /** The rules' strongest finding (0 none, 1 low … 4 critical). */
  ruleLevel: number;
  /** `model`, or the id of the rule whose finding weighed more. */
  decidedBy: string;
  tier: Tier;
}

export function tierOf(score: number, t: Thresholds): Tier {
  return score >= t.block ? 'block' : score >= t.quarantine ? 'quarantine' : score >= t.flag ? 'flag' : 'allow';
}

/** Strongest injection/obfuscation finding: 0 none, 1 low … 4 critical, and that finding. */
export function strongestRule(findings: readonly Finding[]): { level: number; finding?: Finding } {
  let level = 0;
  let finding: Finding | undefined;
  for (const f of findings) {
    if (f.category !== 'injection' && f.category !== 'obfuscation') continue;
    const l = SEVERITY_RANK[f.severity];
    if (l > level) [level, finding] = [l, f];
  }
  return { level, finding };
}

/**
 * Below this many normalized characters the model is not asked: a handful of features is too
 * little evidence (a lone "mail bob@corp.example.org" scored as an exfiltration request), and
 * the rules alone decide (each severity its own tier), as for a trusted server.
 */
export const MODEL_MIN_CHARS = 40;

/** `useModel: false` (a trusted server), or a short string: the rules alone decide, each severity its own tier. */
export function scoreInjection(text: string, path?: string, thresholds?: Thresholds, useModel = true, model: Model = loadModel()): { findings: Finding[]; score: InjectionScore } {
  const { findings, normalized } = scanInjectionNormalized(text, path);
  const { level, finding } = strongestRule(findings);
  const logit = useModel && normalized.trim().length >= MODEL_MIN_CHARS ? textLogit(model, normalized) : undefined;
  if (logit === undefined) {
    // The model did not run: the rules alone, each level as its own tier (critical block, high quarantine, medium flag).
    const tier: Tier = level >= 4 ? 'block' : level >= 3 ? 'quarantine' : level >= 2 ? 'flag' : 'allow';
    return { findings, score: { score: level / 4, model: 0, ruleLevel: level, decidedBy: finding?.rule ?? 'rules', tier } };
  }
  const score = combinedScore(model, logit, level);
  const push = contributions(model, logit, level);
  return {
    findings,
    score: {
      score,
      model: logit === undefined ? 0 : modelProbability(model, logit),
      ruleLevel: level,
      decidedBy: finding && (logit === undefined || push.rules >= push.model) ? finding.rule : 'model',
      tier: tierOf(score, thresholds ?? model.meta.thresholds),
    },
  };
}
