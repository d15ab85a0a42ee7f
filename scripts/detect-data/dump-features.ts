/**
 * Features of every item of the dataset (dataset.ts), computed by the SAME code inference uses
 * (src/detect/model-features.ts on src/detect/normalize.ts output), for the training script:
 *   node scripts/detect-data/dump-features.ts   → .cache/detect/features.bin + items.json
 * features.bin: per item, uint32 count then count × (uint32 index, float32 value). items.json:
 * label, split, kind, family, group of each item, and the strongest injection-rule severity
 * (0 none … 4 critical) so the training script can calibrate rules and model into one score.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEVERITY_RANK } from '../../src/detect/finding.ts';
import { scanInjection } from '../../src/detect/injection.ts';
import { featureVector } from '../../src/detect/model-features.ts';
import { normalize } from '../../src/detect/normalize.ts';
import { CACHE, loadDataset } from './dataset.ts';

/** Strongest injection/obfuscation rule finding: 0 none, 1 low … 4 critical. */
export function ruleLevel(text: string): number {
  let top = 0;
  for (const f of scanInjection(text)) if (f.category === 'injection' || f.category === 'obfuscation') top = Math.max(top, SEVERITY_RANK[f.severity]);
  return top;
}

const items = loadDataset();
const parts: Buffer[] = [];
const meta = items.map((it) => {
  const v = featureVector(normalize(it.text).text);
  const buf = Buffer.alloc(4 + v.size * 8);
  buf.writeUInt32LE(v.size, 0);
  let o = 4;
  for (const [i, x] of v) {
    buf.writeUInt32LE(i, o);
    buf.writeFloatLE(x, o + 4);
    o += 8;
  }
  parts.push(buf);
  const own = it.group.startsWith('repo-docs:') || (it.family !== 'benign' && !it.family.startsWith('bipia') && !it.group.includes('carrier'));
  // Texts this repository may hold, for the parity fixture: its own docs and pure generated attacks.
  const parity = own && it.split !== 'test';
  return { label: it.label, split: it.split, kind: it.kind, family: it.family, group: it.group, rule: ruleLevel(it.text), chars: it.text.length, ...(parity ? { text: it.text } : {}) };
});
writeFileSync(join(CACHE, 'features.bin'), Buffer.concat(parts));
writeFileSync(join(CACHE, 'items.json'), JSON.stringify(meta));
const count = (f: (m: (typeof meta)[number]) => boolean) => meta.filter(f).length;
process.stderr.write(`items ${meta.length}: attacks ${count((m) => m.label === 1)} benign ${count((m) => m.label === 0)}; train ${count((m) => m.split === 'train')} val ${count((m) => m.split === 'val')} test ${count((m) => m.split === 'test')}\n`);
