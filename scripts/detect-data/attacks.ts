/**
 * Generated attacks for the detection model, by kind (tool descriptions, tool results, tool
 * arguments, sampling/elicitation text), deterministic (seeded). Every slot of the grammar
 * (attack-slots.ts) and every family's templates (attack-families.ts) are split three ways: the
 * TRAIN attacks use only train alternatives and templates, the VALIDATION attacks only
 * validation ones, the TEST attacks only test ones — a split by phrasing, not by line, so both
 * validation and test measure wording the model never saw.
 *
 * The attack families written AFTER training (unseen-attacks.ts) are not here.
 */
import { S, type SlotName } from './attack-slots.ts';
import { FAMILIES, type Kind } from './attack-families.ts';

export type { Kind } from './attack-families.ts';
export type Split = 'train' | 'val' | 'test';
export interface Attack { text: string; kind: Kind; family: string; split: Split; carrier: boolean }

/** Seeded PRNG (mulberry32): the same data on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS: Record<Split, number> = { train: 1, test: 2, val: 3 };

/** Generated attacks of one split: `perFamily` per (family, kind). */
export function generateAttacks(split: Split, perFamily: number, seed = SEEDS[split]): Attack[] {
  const r = rng(seed);
  const p = (s: SlotName) => {
    const xs = S[s][split];
    return xs[Math.floor(r() * xs.length)]!;
  };
  const out: Attack[] = [];
  const seen = new Set<string>();
  for (const f of FAMILIES) {
    const gens = f[split];
    if (!gens.length) continue;
    for (const kind of f.kinds) {
      for (let i = 0, tries = 0; i < perFamily && tries < perFamily * 5; tries++) {
        const text = gens[Math.floor(r() * gens.length)]!(p, r);
        if (seen.has(text)) continue;
        seen.add(text);
        out.push({ text, kind, family: f.name, split, carrier: r() < 0.7 });
        i++;
      }
    }
  }
  return out;
}
