/**
 * `npm run eval:detect [-- --json] [-- --threshold medium]`: precision, recall and false-positive
 * rate of each content detector over the labelled corpus in test/fixtures/detect/<category>/,
 * per `kind` and per corpus file; then recall on the public corpora in ../shared/corpora/ when
 * that folder exists (skipped cleanly when it does not; never copied into this repository).
 *
 * A string counts as flagged when the category's detector reports a finding of one of its
 * categories at or above the threshold (default `high`: what the default policy acts on). The
 * exit code is 0 whatever the numbers: this reports; test/unit/detect-eval.test.ts holds the floor.
 *
 * ONE table maps category → detector (DETECTORS below): add a row for a new detector.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEVERITY_RANK, type Finding, type FindingCategory, type Severity } from '../src/detect/finding.ts';
import { scanInjection } from '../src/detect/injection.ts';
import { scanDefinition } from '../src/detect/poisoning.ts';
import { scanDlp, scanSecrets } from '../src/detect/dlp.ts';
import { evaluateModel, printModelReport } from './detect-data/evaluate.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = join(ROOT, 'test', 'fixtures', 'detect');
export const SHARED_CORPORA = join(ROOT, '..', 'shared', 'corpora');

export type Kind = 'description' | 'result' | 'argument';
export interface Sample {
  text: string;
  /** A secret split over strings read one after the other (content blocks, arguments): scanned as such; `text` is them joined. */
  parts?: string[];
  label: 'attack' | 'benign';
  kind: Kind;
  source: string;
  licence: string;
  note?: string;
  file?: string;
}

interface DetectorRow {
  /** Findings for one sample (one string of the given kind, or its `parts`). */
  detect: (text: string, kind: Kind, parts?: readonly string[]) => Finding[] | Promise<Finding[]>;
  /** Finding categories that count as "flagged" for this corpus category. */
  counts: readonly FindingCategory[];
  /**
   * Every finding counts, whatever the threshold: DLP actions are configured per category, not
   * per severity, so the default policy redacts a low-severity e-mail as it does a card number.
   */
  anySeverity?: boolean;
}

const NO_OTHER_TOOLS = { server: 'eval', otherTools: new Set<string>() };

/** category → detector. One row per detector; the corpus folder has the category's name. */
export const DETECTORS: Readonly<Record<string, DetectorRow>> = {
  injection: { detect: (text) => scanInjection(text), counts: ['injection', 'obfuscation'] },
  poisoning: { detect: (text) => scanDefinition('tool', { name: 'eval_tool', description: text }, NO_OTHER_TOOLS), counts: ['poisoning', 'shadowing', 'obfuscation'] },
  secret: { detect: (text, _kind, parts) => (parts ? scanParts(parts) : scanSecrets(text)), counts: ['secret'], anySeverity: true },
  pii: { detect: (text) => scanSecrets(text), counts: ['pii'], anySeverity: true },
};

/** Neighbouring strings, each read right after the previous one (as inspection pairs content blocks). */
async function scanParts(parts: readonly string[]): Promise<Finding[]> {
  return (await scanDlp(parts.map((text, i) => ({ text, joinWith: i + 1 < parts.length ? i + 1 : undefined })))).flat();
}

export interface Counts {
  tp: number;
  fn: number;
  fp: number;
  tn: number;
}
export interface Score extends Counts {
  precision: number;
  recall: number;
  fpRate: number;
}
export interface CategoryReport {
  category: string;
  overall: Score;
  byKind: Record<string, Score>;
  byFile: Record<string, Score>;
  /** Attacks missed and benign samples flagged, for tuning (text truncated). */
  misses: Array<{ file: string; note?: string; text: string }>;
  falsePositives: Array<{ file: string; source: string; rules: string[]; text: string }>;
}

const zero = (): Counts => ({ tp: 0, fn: 0, fp: 0, tn: 0 });
export function score(c: Counts): Score {
  const ratio = (a: number, b: number) => (b === 0 ? NaN : a / b);
  return { ...c, precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.tp, c.tp + c.fn), fpRate: ratio(c.fp, c.fp + c.tn) };
}

export function loadCategory(category: string): Sample[] {
  const dir = join(CORPUS_DIR, category);
  if (!existsSync(dir)) return [];
  const out: Sample[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim()) out.push({ ...(JSON.parse(line) as Sample), file });
    }
  }
  return out;
}

async function flaggedBy(row: DetectorRow, s: Sample, threshold: Severity): Promise<Finding[]> {
  const findings = await row.detect(s.text, s.kind, s.parts);
  return findings.filter((f) => row.counts.includes(f.category) && (row.anySeverity || SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]));
}

export async function evaluateCategory(category: string, threshold: Severity = 'high'): Promise<CategoryReport | undefined> {
  const row = DETECTORS[category];
  const samples = loadCategory(category);
  if (!row || samples.length === 0) return undefined;
  const overall = zero();
  const byKind: Record<string, Counts> = {};
  const byFile: Record<string, Counts> = {};
  const report: CategoryReport = { category, overall: score(overall), byKind: {}, byFile: {}, misses: [], falsePositives: [] };
  for (const s of samples) {
    const hits = await flaggedBy(row, s, threshold);
    const flagged = hits.length > 0;
    const key: keyof Counts = s.label === 'attack' ? (flagged ? 'tp' : 'fn') : flagged ? 'fp' : 'tn';
    for (const c of [overall, (byKind[s.kind] ??= zero()), (byFile[s.file!] ??= zero())]) c[key]++;
    if (key === 'fn') report.misses.push({ file: s.file!, note: s.note, text: s.text.slice(0, 200) });
    if (key === 'fp') report.falsePositives.push({ file: s.file!, source: s.source, rules: [...new Set(hits.map((h) => h.rule))], text: s.text.slice(0, 200) });
  }
  report.overall = score(overall);
  for (const [k, c] of Object.entries(byKind)) report.byKind[k] = score(c);
  for (const [k, c] of Object.entries(byFile)) report.byFile[k] = score(c);
  return report;
}

export interface ExternalReport {
  corpus: string;
  group: string;
  /** `text-borne`: the attack is in the text; `context-dependent`: harmless-looking off-task
   *  instructions; `not-in-text`: user prompts that trigger a server-side attack. */
  expectation: 'text-borne' | 'context-dependent' | 'not-in-text';
  total: number;
  flagged: number;
  recall: number;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Recall of scanInjection on ../shared/corpora (MCPSecBench, BIPIA); [] when absent. */
export function evaluateExternal(threshold: Severity = 'high'): ExternalReport[] {
  if (!existsSync(SHARED_CORPORA)) return [];
  const groups = new Map<string, { corpus: string; expectation: ExternalReport['expectation']; texts: Set<string> }>();
  const add = (corpus: string, group: string, expectation: ExternalReport['expectation'], text: string) => {
    const key = `${corpus}\u0000${group}`;
    const g = groups.get(key) ?? { corpus, expectation, texts: new Set<string>() };
    g.texts.add(text);
    groups.set(key, g);
  };
  const msb = join(SHARED_CORPORA, 'mcpsecbench');
  for (const f of ['attacks.json', 'attacks_extended.json', 'attacks_updated.json']) {
    if (!existsSync(join(msb, f))) continue;
    for (const g of readJson(join(msb, f)) as Array<{ name: string; prompts: string[] }>) {
      for (const p of g.prompts) add('mcpsecbench', g.name, g.name === 'Malicious Prompt' ? 'text-borne' : 'not-in-text', p);
    }
  }
  const bipia = join(SHARED_CORPORA, 'bipia');
  for (const [prefix, expectation] of [['code_attack_', 'text-borne'], ['text_attack_', 'context-dependent']] as const) {
    for (const split of ['train', 'test']) {
      const f = join(bipia, `${prefix}${split}.json`);
      if (!existsSync(f)) continue;
      for (const [group, texts] of Object.entries(readJson(f) as Record<string, string[]>)) for (const t of texts) add('bipia', `${prefix}${group}`, expectation, t);
    }
  }
  const out: ExternalReport[] = [];
  for (const [key, g] of groups) {
    let flagged = 0;
    for (const t of g.texts) if (scanInjection(t).some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold])) flagged++;
    out.push({ corpus: g.corpus, group: key.split('\u0000')[1], expectation: g.expectation, total: g.texts.size, flagged, recall: flagged / g.texts.size });
  }
  return out.sort((a, b) => a.corpus.localeCompare(b.corpus) || a.expectation.localeCompare(b.expectation) || a.group.localeCompare(b.group));
}

const pct = (x: number) => (Number.isNaN(x) ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

function printCategory(r: CategoryReport): string[] {
  const line = (name: string, s: Score) =>
    `  ${name.padEnd(34)} attacks ${String(s.tp + s.fn).padStart(4)}  benign ${String(s.fp + s.tn).padStart(5)}  precision ${pct(s.precision)}  recall ${pct(s.recall)}  FP ${pct(s.fpRate)}`;
  const out = [`${r.category}`, line('all', r.overall)];
  for (const [k, s] of Object.entries(r.byKind)) out.push(line(`kind=${k}`, s));
  for (const [k, s] of Object.entries(r.byFile)) out.push(line(k, s));
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const t = args.indexOf('--threshold');
  const threshold = (t >= 0 ? args[t + 1] : 'high') as Severity;
  if (!(threshold in SEVERITY_RANK)) throw new Error(`--threshold must be one of ${Object.keys(SEVERITY_RANK).join(', ')}`);
  const reports: CategoryReport[] = [];
  for (const category of Object.keys(DETECTORS)) {
    const r = await evaluateCategory(category, threshold);
    if (r) reports.push(r);
  }
  const external = evaluateExternal(threshold);
  const model = evaluateModel();
  if (json) {
    process.stdout.write(JSON.stringify({ threshold, categories: reports, external, externalSkipped: !existsSync(SHARED_CORPORA), model }, null, 2) + '\n');
    return;
  }
  const out = [...printModelReport(model, args.includes('--verbose')), '', 'RULES ALONE on the fixtures of test/fixtures/detect (the rules were tuned on these):'];
  out.push(`flagged = a finding at severity >= ${threshold}; goal: recall >= 95% per attack category, FP <= 1% on benign`, '');
  for (const r of reports) {
    out.push(...printCategory(r));
    if (args.includes('--verbose')) {
      for (const m of r.misses) out.push(`    MISS ${m.file} ${m.note ?? ''}: ${JSON.stringify(m.text.slice(0, 120))}`);
      for (const f of r.falsePositives) out.push(`    FP   ${f.file} [${f.rules.join(',')}] ${f.source}: ${JSON.stringify(f.text.slice(0, 120))}`);
    }
    out.push('');
  }
  if (external.length === 0) out.push(`external corpora: ${SHARED_CORPORA} absent, skipped`);
  else {
    out.push('external corpora (injection detector, recall):');
    for (const e of external) out.push(`  ${e.corpus.padEnd(12)} ${e.expectation.padEnd(17)} ${e.group.padEnd(58)} ${String(e.flagged).padStart(3)}/${String(e.total).padEnd(3)} ${pct(e.recall)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

if (import.meta.main) await main();
