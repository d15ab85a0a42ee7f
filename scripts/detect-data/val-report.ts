/**
 * Diagnosis on the VALIDATION split (never the test split): after scripts/detect-train.py,
 *   node scripts/detect-data/val-report.ts [--misses N] [--alarms N]
 * prints recall per family at the quarantine threshold, and the lowest-scored attacks and the
 * highest-scored benign texts of validation, with their text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, loadDataset } from './dataset.ts';

interface V { item: number; label: number; kind: string; family: string; group: string; rule: number; logit: number; score: number }
const args = process.argv.slice(2);
const num = (flag: string, d: number) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : d);
const scores = JSON.parse(readFileSync(join(CACHE, 'val-scores.json'), 'utf8')) as V[];
type T = { quarantine: number };
const meta = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'src', 'detect', 'model', 'injection-linear.json'), 'utf8')) as { thresholds: T; siteThresholds?: Record<string, T> };
const texts = loadDataset().filter((it) => it.split !== 'test');
/** The quarantine threshold of the site the gateway inspects a category at (a description arrives in a tools/list result). */
const q = (kind: string) => (meta.siteThresholds?.[kind === 'description' ? 'result' : kind] ?? meta.thresholds).quarantine;
const fam: Record<string, [number, number]> = {};
for (const v of scores.filter((x) => x.label)) {
  const f = (fam[`${v.kind}/${v.family}`] ??= [0, 0]);
  f[1]++;
  if (v.score >= q(v.kind)) f[0]++;
}
for (const [k, [a, b]] of Object.entries(fam).sort()) console.log(`${k.padEnd(44)} ${a}/${b}`);
const show = (v: V) => `${v.score.toFixed(3)} ${v.logit.toFixed(2)} r${v.rule} ${v.kind} ${v.group}: ${JSON.stringify(texts[v.item]!.text.slice(0, 300))}`;
console.log('\nMISSES');
for (const v of scores.filter((x) => x.label && x.score < q(x.kind)).sort((a, b) => a.score - b.score).slice(0, num('--misses', 40))) console.log(show(v));
console.log('\nHIGHEST BENIGN');
for (const v of scores.filter((x) => !x.label).sort((a, b) => b.score - a.score).slice(0, num('--alarms', 30))) console.log(show(v));
