/**
 * The model's evaluation for `npm run eval:detect`: the combined score (rules + shipped model,
 * src/detect/injection-score.ts) on
 * 1. the TEST split of dataset.ts (groups and attack phrasings never trained on, and never used
 *    to tune the rules): per category recall and benign flagged, the rules alone beside it, and
 *    a confusion table of actual label × action;
 * 2. the unseen attack families (unseen-attacks.ts), per family;
 * 3. the public corpora's own test splits (BIPIA test, MCPSecBench, which has no split), apart.
 * "Stopped" = quarantine or block (what the default policy withholds); "flagged" = any action.
 * Each category is scored with the thresholds of the site the gateway inspects it at (a tool
 * description arrives in a tools/list result): src/detect/injection-score.ts siteThresholds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scoreInjection, siteThresholds, type Site, type Tier } from '../../src/detect/injection-score.ts';
import type { Kind } from './attacks.ts';
import { BENIGN_FILE, loadDataset, SHARED_CORPORA } from './dataset.ts';
import { unseenAttacks } from './unseen-attacks.ts';

const KINDS: Kind[] = ['description', 'result', 'argument', 'sampling'];
const TIERS: Tier[] = ['allow', 'flag', 'quarantine', 'block'];
const stopped = (t: Tier) => t === 'quarantine' || t === 'block';
/** Where the gateway inspects each category: a tool description arrives in a tools/list result. */
const SITE: Record<Kind, Site> = { description: 'result', result: 'result', argument: 'argument', sampling: 'sampling' };

interface Row { attacks: number; stopped: number; benign: number; flagged: number; ruleStopped: number; ruleFlagged: number; confusion: Record<'attack' | 'benign', Record<Tier, number>> }
const row = (): Row => ({ attacks: 0, stopped: 0, benign: 0, flagged: 0, ruleStopped: 0, ruleFlagged: 0, confusion: { attack: { allow: 0, flag: 0, quarantine: 0, block: 0 }, benign: { allow: 0, flag: 0, quarantine: 0, block: 0 } } });

export interface ModelReport {
  test: Record<string, Row>;
  unseen: Record<string, { total: number; stopped: number; stoppedJoined?: number }>;
  external: Array<{ corpus: string; group: string; total: number; stopped: number }>;
  falseAlarms: Array<{ kind: string; group: string; score: number; decidedBy: string; text: string }>;
  misses: Array<{ kind: string; family: string; score: number; text: string }>;
}

/** The strongest tier over several strings (the gateway scores each string leaf on its own). */
function tierOfParts(parts: readonly string[], site: Site): Tier {
  let best: Tier = 'allow';
  for (const p of parts) {
    const t = scoreInjection(p, undefined, siteThresholds(site)).score.tier;
    if (TIERS.indexOf(t) > TIERS.indexOf(best)) best = t;
  }
  return best;
}

/** The test split needs the captured benign traffic (.cache/detect/): without it `test` stays empty; the unseen families and public corpora need nothing. */
export function evaluateModel(): ModelReport {
  const report: ModelReport = { test: {}, unseen: {}, external: [], falseAlarms: [], misses: [] };
  for (const it of existsSync(BENIGN_FILE) ? loadDataset() : []) {
    if (it.split !== 'test') continue;
    const { score } = scoreInjection(it.text, undefined, siteThresholds(SITE[it.kind]));
    for (const r of [(report.test[it.kind] ??= row()), (report.test.all ??= row())]) {
      r.confusion[it.label ? 'attack' : 'benign'][score.tier]++;
      if (it.label) {
        r.attacks++;
        if (stopped(score.tier)) r.stopped++;
        if (score.ruleLevel >= 3) r.ruleStopped++;
      } else {
        r.benign++;
        if (score.tier !== 'allow') r.flagged++;
        if (score.ruleLevel >= 3) r.ruleFlagged++;
      }
    }
    if (!it.label && score.tier !== 'allow') report.falseAlarms.push({ kind: it.kind, group: it.group, score: score.score, decidedBy: score.decidedBy, text: it.text.slice(0, 160) });
    if (it.label && !stopped(score.tier)) report.misses.push({ kind: it.kind, family: it.family, score: score.score, text: it.text.slice(0, 160) });
  }
  for (const a of unseenAttacks()) {
    const u = (report.unseen[a.family] ??= { total: 0, stopped: 0 });
    u.total++;
    const t = siteThresholds(SITE[a.kind]);
    if (stopped(a.parts ? tierOfParts(a.parts, SITE[a.kind]) : scoreInjection(a.text, undefined, t).score.tier)) u.stopped++;
    if (a.parts) u.stoppedJoined = (u.stoppedJoined ?? 0) + (stopped(scoreInjection(a.text, undefined, t).score.tier) ? 1 : 0);
  }
  const external = (corpus: string, group: string, texts: Iterable<string>) => {
    const e = { corpus, group, total: 0, stopped: 0 };
    for (const t of new Set(texts)) {
      e.total++;
      // Public corpora: text a tool returns (a page, an e-mail, code), scored as a result.
      if (stopped(scoreInjection(t, undefined, siteThresholds('result')).score.tier)) e.stopped++;
    }
    report.external.push(e);
  };
  const bipia = (f: string) => JSON.parse(readFileSync(join(SHARED_CORPORA, 'bipia', f), 'utf8')) as Record<string, string[]>;
  if (existsSync(join(SHARED_CORPORA, 'bipia'))) {
    external('bipia', 'code_attack_test (text-borne)', Object.values(bipia('code_attack_test.json')).flat());
    external('bipia', 'text_attack_test (context-dependent)', Object.values(bipia('text_attack_test.json')).flat());
  }
  const msb = join(SHARED_CORPORA, 'mcpsecbench');
  if (existsSync(msb)) {
    const prompts = (f: string) => (existsSync(join(msb, f)) ? (JSON.parse(readFileSync(join(msb, f), 'utf8')) as Array<{ name: string; prompts: string[] }>) : []);
    const all = [...prompts('attacks.json'), ...prompts('attacks_extended.json'), ...prompts('attacks_updated.json')];
    external('mcpsecbench', 'Malicious Prompt (text-borne)', all.filter((g) => g.name === 'Malicious Prompt').flatMap((g) => g.prompts));
    external('mcpsecbench', 'other types (attack not in the text)', all.filter((g) => g.name !== 'Malicious Prompt').flatMap((g) => g.prompts));
  }
  return report;
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1).padStart(5)}%` : '   n/a');

export function printModelReport(r: ModelReport, verbose = false): string[] {
  const out = r.test.all
    ? ['model + rules, one score (src/detect/injection-score.ts), TEST split (groups and phrasings never trained on):']
    : [`model: ${BENIGN_FILE} absent, TEST split skipped; run node scripts/detect-data/capture-benign.ts (then this again)`];
  out.push(`  ${'category'.padEnd(12)} ${'attacks'.padStart(7)} ${'stopped'.padStart(7)} ${'recall'.padStart(7)} ${'benign'.padStart(7)} ${'flagged'.padStart(7)} ${'FP'.padStart(7)}   rules alone: recall / FP`);
  for (const k of [...KINDS, 'all']) {
    const x = r.test[k];
    if (!x) continue;
    out.push(`  ${k.padEnd(12)} ${String(x.attacks).padStart(7)} ${String(x.stopped).padStart(7)} ${pct(x.stopped, x.attacks).padStart(7)} ${String(x.benign).padStart(7)} ${String(x.flagged).padStart(7)} ${pct(x.flagged, x.benign).padStart(7)}   ${pct(x.ruleStopped, x.attacks)} / ${pct(x.ruleFlagged, x.benign)}`);
  }
  if (r.test.all) {
    out.push('', '  confusion (all categories): actual × action');
    out.push(`  ${''.padEnd(8)} ${TIERS.map((t) => t.padStart(11)).join('')}`);
    for (const a of ['attack', 'benign'] as const) out.push(`  ${a.padEnd(8)} ${TIERS.map((t) => String(r.test.all!.confusion[a][t]).padStart(11)).join('')}`);
  }
  out.push('', 'unseen attack families (written after training, never trained on): stopped');
  let ut = 0;
  let us = 0;
  for (const [f, u] of Object.entries(r.unseen)) {
    ut += u.total;
    us += u.stopped;
    out.push(`  ${f.padEnd(22)} ${String(u.stopped).padStart(4)}/${String(u.total).padEnd(4)} ${pct(u.stopped, u.total)}${u.stoppedJoined !== undefined ? `   (whole JSON scored as one text: ${pct(u.stoppedJoined, u.total)})` : ''}`);
  }
  out.push(`  ${'all unseen'.padEnd(22)} ${String(us).padStart(4)}/${String(ut).padEnd(4)} ${pct(us, ut)}`);
  out.push('', 'public corpora, their own test splits (never trained on): stopped');
  for (const e of r.external) out.push(`  ${e.corpus.padEnd(12)} ${e.group.padEnd(40)} ${String(e.stopped).padStart(4)}/${String(e.total).padEnd(4)} ${pct(e.stopped, e.total)}`);
  if (verbose) {
    for (const f of r.falseAlarms) out.push(`    FP   ${f.kind} ${f.group} ${f.score.toFixed(3)} [${f.decidedBy}] ${JSON.stringify(f.text)}`);
    for (const m of r.misses) out.push(`    MISS ${m.kind} ${m.family} ${m.score.toFixed(3)} ${JSON.stringify(m.text)}`);
  }
  return out;
}
