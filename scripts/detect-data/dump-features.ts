/**
 * Features of every item of the dataset (dataset.ts), computed by the SAME code inference uses
 * (src/detect/model-features.ts on src/detect/normalize.ts output), for the training script:
 *   node scripts/detect-data/dump-features.ts   → .cache/detect/features.bin + items.json
 * features.bin: per row, uint32 count then count × (uint32 index, float32 value). items.json:
 * per row its item, label, split, kind, family, group, and the strongest injection-rule severity
 * of the item (0 none … 4 critical)
 * so the training script can calibrate rules and model into one score. The test split is not
 * written: only the evaluation reads it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEVERITY_RANK } from '../../src/detect/finding.ts';
import { scanInjection } from '../../src/detect/injection.ts';
import { featureVector } from '../../src/detect/model-features.ts';
import { normalize } from '../../src/detect/normalize.ts';
import { rng } from './attacks.ts';
import { CACHE, loadDataset, type Item } from './dataset.ts';

/** Strongest injection/obfuscation rule finding: 0 none, 1 low … 4 critical. */
export function ruleLevel(text: string): number {
  let top = 0;
  for (const f of scanInjection(text)) if (f.category === 'injection' || f.category === 'obfuscation') top = Math.max(top, SEVERITY_RANK[f.severity]);
  return top;
}

/**
 * Characters per window: the model reads windows of this size (src/detect/model.ts); the training
 * script writes it into the model. Chosen on VALIDATION (held-out phrasing), model alone at 0.5%
 * benign flagged, worst category: 512 → 64%, 256 → 82%, 160 → 91%, 100 → 92% (a payload
 * sentence is diluted less by the carrier text around it in a small window).
 */
export const WINDOW = Number(process.env.DETECT_WINDOW ?? 100);

/**
 * What the model is trained on: windows, as it scores them. A benign text gives each of its
 * windows; a generated attack inside a carrier gives ONE window holding its payload (at a random
 * offset); any other attack is one sample, whole. Validation and test items stay whole (they are
 * scored as the gateway scores a string: the maximum over its windows).
 */
function windowsOf(it: Item, r: () => number): Item[] {
  if (it.split !== 'train' || it.text.length <= WINDOW) return [it];
  if (it.label === 0) {
    const out: Item[] = [];
    for (let at = 0; at < it.text.length; at += WINDOW) out.push({ ...it, text: it.text.slice(at, at + WINDOW) });
    return out;
  }
  if (!it.payload) return [it];
  const [a, b] = it.payload;
  const slack = Math.max(0, WINDOW - (b - a));
  const start = Math.max(0, a - Math.floor(r() * slack));
  return [{ ...it, text: it.text.slice(start, Math.max(b, start + WINDOW)) }];
}

/** Validation items as the model scores them: windows of the normalized text every quarter window (the script takes the maximum per item). */
function scoredWindows(normalized: string): string[] {
  if (normalized.length <= WINDOW) return [normalized];
  const out: string[] = [];
  for (let start = 0; ; start += WINDOW >> 2) {
    out.push(normalized.slice(start, start + WINDOW));
    if (start + WINDOW >= normalized.length) return out;
  }
}

const r = rng(11);
const items = loadDataset()
  .filter((it) => it.split !== 'test')
  .flatMap((it, item): Array<Item & { item: number; window?: string }> => (it.split === 'val' ? scoredWindows(normalize(it.text).text).map((w) => ({ ...it, item, window: w })) : windowsOf(it, r).map((w) => ({ ...w, item, window: undefined }))));
const ruleOfItem = new Map<number, number>();
const parts: Buffer[] = [];
const meta = items.map((it) => {
  const v = featureVector(it.window ?? normalize(it.text).text);
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
  const parity = own && it.split === 'train' && it.text.length <= WINDOW;
  return { item: it.item, label: it.label, split: it.split, kind: it.kind, family: it.family, group: it.group, rule: it.window === undefined ? ruleLevel(it.text) : (ruleOfItem.get(it.item) ?? ruleOfItem.set(it.item, ruleLevel(it.text)).get(it.item)!), chars: it.text.length, ...(parity ? { text: it.text } : {}) };
});
writeFileSync(join(CACHE, 'features.bin'), Buffer.concat(parts));
writeFileSync(join(CACHE, 'items.json'), JSON.stringify(meta));
writeFileSync(join(CACHE, 'features.json'), JSON.stringify({ windowChars: WINDOW }));
const count = (f: (m: (typeof meta)[number]) => boolean) => meta.filter(f).length;
process.stderr.write(`items ${meta.length}: attacks ${count((m) => m.label === 1)} benign ${count((m) => m.label === 0)}; train ${count((m) => m.split === 'train')} val ${count((m) => m.split === 'val')} test ${count((m) => m.split === 'test')}\n`);
