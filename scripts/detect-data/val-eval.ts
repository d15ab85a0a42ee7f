/**
 * The evaluation of evaluate.ts on the VALIDATION split (never the test split), with the model in
 * src/detect/model/: per category, stopped (quarantine or block) and benign flagged, each at
 * its site's thresholds; `--ext` also splits out other projects' text (capture-repos.ts).
 * For choosing between candidate models (and the shipped one) without reading the test split:
 *   node scripts/detect-data/val-eval.ts
 */
import { scoreInjection, siteThresholds, type Site } from '../../src/detect/injection-score.ts';
import type { Kind } from './attacks.ts';
import { loadDataset } from './dataset.ts';

const SITE: Record<Kind, Site> = { description: 'result', result: 'result', argument: 'argument', sampling: 'sampling' };
const rows: Record<string, { attacks: number; stopped: number; benign: number; flagged: number }> = {};
const ext = process.argv.includes('--ext');
for (const it of loadDataset()) {
  if (it.split !== 'val') continue;
  const tier = scoreInjection(it.text, undefined, siteThresholds(SITE[it.kind])).score.tier;
  const keys = [it.kind, 'all', ...(ext && it.group.startsWith('ext:') ? [`${it.kind} (other projects)`] : [])];
  for (const k of keys) {
    const r = (rows[k] ??= { attacks: 0, stopped: 0, benign: 0, flagged: 0 });
    if (it.label) {
      r.attacks++;
      if (tier === 'quarantine' || tier === 'block') r.stopped++;
    } else {
      r.benign++;
      if (tier !== 'allow') r.flagged++;
    }
  }
}
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '-');
for (const [k, r] of Object.entries(rows)) console.log(`${k.padEnd(28)} stopped ${r.stopped}/${r.attacks} ${pct(r.stopped, r.attacks).padStart(6)}   flagged ${r.flagged}/${r.benign} ${pct(r.flagged, r.benign).padStart(6)}`);
