/**
 * Cost of injection detection per KB of text: `node bench/detect.ts [--json]`.
 * normalize() alone, scanInjection() (normalize + one RE2.Set pass + per-hit location) and the
 * DLP scan (scanDlp: the set pass, decoded views of the text, secretlint where an anchor is), on
 * 1, 16 and 256 KB strings of: benign prose (package READMEs from the corpus), benign non-ASCII
 * prose (the same with accents, CJK and emoji, so the slow path runs), a tool result full of
 * injections (every attack of the corpus, concatenated), and JSON text. Median of repeated runs
 * after warm-up; microseconds per KB. The machine is shared: compare ratios, not absolutes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { normalize } from '../src/detect/normalize.ts';
import { scanInjection } from '../src/detect/injection.ts';
import { scanDlp } from '../src/detect/dlp.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'detect', 'injection');
const texts = (file: string, label: string) =>
  readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text: string; label: string })
    .filter((s) => s.label === label)
    .map((s) => s.text);

const docs = texts('benign-package-docs.jsonl', 'benign').join('\n\n');
const attacks = [...texts('attack-handwritten.jsonl', 'attack'), ...texts('attack-obfuscated.jsonl', 'attack')].join('\n\n');
const nonAscii = docs.replace(/e/g, 'é').replace(/\. /g, '。 ').replace(/\n\n/g, ' 👍\n\n');
const json = JSON.stringify(texts('benign-server-results.jsonl', 'benign'));

function sized(source: string, kb: number): string {
  let s = source;
  while (s.length < kb * 1024) s += source;
  return s.slice(0, kb * 1024);
}

function median(fn: () => unknown, budgetMs: number): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const stop = performance.now() + budgetMs;
  while (performance.now() < stop || times.length < 5) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

async function medianAsync(fn: () => Promise<unknown>, budgetMs: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const times: number[] = [];
  const stop = performance.now() + budgetMs;
  while (performance.now() < stop || times.length < 5) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

const rows: Array<{ input: string; kb: number; normalizeUsPerKb: number; scanUsPerKb: number; dlpUsPerKb: number; findings: number }> = [];
for (const [name, source] of [['benign ASCII prose', docs], ['benign non-ASCII prose', nonAscii], ['benign JSON result', json], ['injection-dense', attacks]] as const) {
  for (const kb of [1, 16, 256]) {
    const s = sized(source, kb);
    const n = median(() => normalize(s), kb >= 256 ? 1500 : 400);
    const sc = median(() => scanInjection(s), kb >= 256 ? 1500 : 400);
    const d = await medianAsync(() => scanDlp([{ text: s }]), kb >= 256 ? 1500 : 400);
    rows.push({ input: name, kb, normalizeUsPerKb: (n * 1000) / kb, scanUsPerKb: (sc * 1000) / kb, dlpUsPerKb: (d * 1000) / kb, findings: scanInjection(s).length });
  }
}
if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
else {
  process.stdout.write('input                     KB   normalize µs/KB   scanInjection µs/KB   scanDlp µs/KB   findings\n');
  for (const r of rows) {
    process.stdout.write(`${r.input.padEnd(24)} ${String(r.kb).padStart(4)}   ${r.normalizeUsPerKb.toFixed(1).padStart(15)}   ${r.scanUsPerKb.toFixed(1).padStart(19)}   ${r.dlpUsPerKb.toFixed(1).padStart(13)}   ${String(r.findings).padStart(8)}\n`);
  }
}
