/**
 * The labelled data of the detection model, assembled the same way for training
 * (dump-features.ts) and evaluation (scripts/eval-detect.ts):
 *
 * - benign: .cache/detect/benign.jsonl (capture-benign.ts: real tool traffic captured here),
 *   split by GROUP (a package, a man page, a commit, a doc file) with a hash: 70% train, 10%
 *   validation (thresholds, calibration), 20% test. Some real texts are put in the role of an
 *   argument (a file written, an issue body) or of a sampling request ("Summarize …" around real
 *   text), chosen by hash of the group, so every category has benign text of its own.
 *   The benign fixtures of test/fixtures/detect (tuned against by the rules) are train only.
 * - attacks: attacks.ts (train phrasings for train, validation phrasings for validation, test
 *   phrasings for test: validation measures unseen wording too), the
 *   attack fixtures of test/fixtures/detect (train: the rules were tuned on them), BIPIA's
 *   code_attack TRAIN split (train). A generated attack with `carrier` is put inside a benign
 *   text of the SAME split (a tool result with the payload in the middle, a description with a
 *   sentence appended, a commit message with a paragraph added).
 * - other projects' commits and docs (capture-repos.ts, rows with `ext`): benign, in every split
 *   by group, never a carrier of a generated attack.
 * - train-only destructive actions in sampling text (attack-train-extra.ts), after all the others.
 * - benign look-alikes (benign-lookalikes.ts: ops runbooks, writing about injection, tool
 *   descriptions that instruct the model): train and validation only.
 * Public test sets (BIPIA test, MCPSecBench) and the unseen families (unseen-attacks.ts) are
 * loaded by the evaluation apart and never trained on.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../mcp-capture.ts';
import { generateAttacks, rng, type Kind } from './attacks.ts';
import { generateTrainExtra } from './attack-train-extra.ts';
import { generateLookalikes } from './benign-lookalikes.ts';

export const CACHE = join(ROOT, '.cache', 'detect');
export const BENIGN_FILE = join(CACHE, 'benign.jsonl');
export const SHARED_CORPORA = join(ROOT, '..', 'shared', 'corpora');
export type DataSplit = 'train' | 'val' | 'test';
/** Generated attacks per (family, kind) and split; look-alikes per split. */
const ATTACKS: Record<DataSplit, number> = { train: Number(process.env.DETECT_TRAIN_ATTACKS ?? 200), val: 40, test: 40 };
/** Train-only destructive-action attacks in sampling text (attack-train-extra.ts). */
const TRAIN_EXTRA = Number(process.env.DETECT_TRAIN_EXTRA ?? 400);
const LOOKALIKES = { train: Number(process.env.DETECT_LOOKALIKES ?? 800), val: 200 };
export interface Item {
  text: string;
  label: 0 | 1;
  kind: Kind;
  split: DataSplit;
  group: string;
  family: string;
  /** A generated attack inside a benign carrier: where the payload is (training windows hold it). */
  payload?: [number, number];
}

/** A stable number 0..99 for a string (split assignment: md5 is used as a hash, not for security). */
export const bucket = (s: string) => createHash('md5').update(s).digest().readUInt32BE(0) % 100;
const splitOf = (group: string): DataSplit => {
  const b = bucket(`split:${group}`);
  return b < 70 ? 'train' : b < 80 ? 'val' : 'test';
};

/** Sampling requests wrap real text in a request, split like the attack phrasings (the test ones never trained on). */
const SAMPLING: Record<DataSplit, string[]> = {
  train: [
    'Summarize the following document for the user:\n\n', 'Here is the file the user asked about. Explain what it does.\n\n', 'Answer the question using this context:\n\n',
    'You are a helpful assistant. Use the search results below to answer.\n\n', 'Extract the key points from this page:\n\n', 'Translate the following into plain English:\n\n',
    'The user wants to know what changed. Here is the diff:\n\n', 'Classify this text as relevant or not relevant to the query:\n\n', 'Rewrite this more concisely:\n\n',
    'Tool output follows. Decide which tool to call next.\n\n', 'Please review this and list any problems you find:\n\n', 'Generate a title for this document:\n\n',
    // Added with the train/validation-only extras (capture-extra.ts); the test wrappers are unchanged.
    'Write a commit message for these changes:\n\n', 'Reply to the user in one sentence. Their message:\n\n', 'Suggest three tags for this note:\n\n',
    'You are a release assistant. Turn these notes into a changelog entry.\n\n', 'Is the following relevant to "deploy failures"? Answer yes or no.\n\n',
    'Please summarise the changes below for a non-technical reader.\n\n', 'Rank these search results by relevance:\n\n', 'Fill in the form from this text. Text:\n\n',
    'The user attached a file. Describe it briefly.\n\n', 'Draft an answer to this support ticket:\n\n', 'Find the error in this log and explain it:\n\n',
    'Convert this to a bulleted list:\n\n', 'Which command in this page should the user run? Page:\n\n', 'Please provide a short description of this repository, based on its README:\n\n',
  ],
  val: [
    'Give a one-paragraph overview of this:\n\n', 'Here is what the server returned; answer the user from it.\n\n', 'List the action items in this text:\n\n',
    'Summarize the key changes in this text:\n\n', 'Use the document below to answer the question "how do I install it?"\n\n', 'Write a two-line abstract of:\n\n',
  ],
  test: ['Please write a short summary of this text:\n\n', 'Context retrieved by the tool:\n\n'],
};

function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** At most `max` chars, cut at a paragraph or line break when there is one in the second half. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf('\n', max);
  return text.slice(0, cut > max / 2 ? cut : max);
}

/** String values of a JSON text, and one line of every fifth other text: at most 6 per text, 2..200 chars. */
function shortLeaves(text: string): string[] {
  const out: string[] = [];
  const t = text.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const walk = (v: unknown): void => {
        if (typeof v === 'string') out.push(v);
        else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
      };
      walk(JSON.parse(t));
    } catch {}
  } else if (bucket(`line:${t.slice(0, 100)}`) < 20) {
    const lines = t.split('\n').map((l) => l.trim());
    out.push(lines[bucket(t.slice(0, 50)) % lines.length]!);
  }
  return [...new Set(out.filter((s) => s.length >= 2 && s.length <= 200 && !s.includes('\n')))].slice(0, 6);
}

export function loadDataset(): Item[] {
  if (!existsSync(BENIGN_FILE)) throw new Error(`${BENIGN_FILE} is missing: run node scripts/detect-data/capture-benign.ts first`);
  const items: Item[] = [];
  const benign: Record<DataSplit, Record<Kind, string[]>> = { train: { description: [], result: [], argument: [], sampling: [] }, val: { description: [], result: [], argument: [], sampling: [] }, test: { description: [], result: [], argument: [], sampling: [] } };
  for (const row of readJsonl(BENIGN_FILE) as Array<{ text: string; kind: Kind; group: string; extra?: true; ext?: true }>) {
    const split = splitOf(row.group);
    // Extras (capture-extra.ts) are train and validation data only, and carry no attack: the test split stays what it was without them.
    if (row.extra && split === 'test') continue;
    let kind = row.kind;
    let text = row.text;
    // Other projects' text (capture-repos.ts) is in every split; a sampling row is wrapped in a request of its split.
    if (row.ext && kind === 'sampling') text = SAMPLING[split][bucket(`wrap:${row.text.slice(0, 200)}`) % SAMPLING[split].length] + text;
    if (kind === 'result') {
      const b = bucket(`role:${row.text.slice(0, 200)}`);
      if (b < 15) kind = 'argument';
      else if (b < 25) {
        kind = 'sampling';
        const t = SAMPLING[split];
        text = t[(b + bucket(`wrap:${row.group}`)) % t.length] + text;
      }
    }
    items.push({ text, label: 0, kind, split, group: row.group, family: 'benign' });
    // Carriers of generated attacks: not the extras nor other projects' text, so the attacks stay what they were.
    if (!row.extra && !row.ext) benign[split][kind].push(row.text);
    // Train and validation: every result also as the start of a sampling request (a server asking the client's model about it).
    if (split !== 'test' && kind === 'result') {
      const t = SAMPLING[split];
      items.push({ text: t[bucket(`wrap2:${row.text.slice(0, 200)}`) % t.length] + clip(row.text, 300), label: 0, kind: 'sampling', split, group: row.group, family: 'benign' });
    }
    // The gateway scans every string leaf on its own: short strings (a JSON value, one line) are most of what it sees.
    for (const leaf of shortLeaves(row.text)) items.push({ text: leaf, label: 0, kind: 'result', split, group: row.group, family: 'benign' });
  }
  // Secrets and personal data are not injections: the DLP fixtures are benign here.
  for (const dir of ['secret', 'pii']) {
    const d = join(ROOT, 'test', 'fixtures', 'detect', dir);
    for (const f of readdirSync(d).filter((x) => x.endsWith('.jsonl'))) {
      for (const s of readJsonl(join(d, f)) as Array<{ text: string }>) items.push({ text: s.text, label: 0, kind: 'result', split: 'train', group: `fixture:${dir}/${f}`, family: `fixture:${f}` });
    }
  }
  for (const dir of ['injection', 'poisoning']) {
    const d = join(ROOT, 'test', 'fixtures', 'detect', dir);
    for (const f of readdirSync(d).filter((x) => x.endsWith('.jsonl'))) {
      for (const s of readJsonl(join(d, f)) as Array<{ text: string; label: string; kind: string }>) {
        const kind: Kind = s.kind === 'description' ? 'description' : s.kind === 'argument' ? 'argument' : 'result';
        items.push({ text: s.text, label: s.label === 'attack' ? 1 : 0, kind, split: 'train', group: `fixture:${dir}/${f}`, family: `fixture:${f}` });
      }
    }
  }
  const bipia = join(SHARED_CORPORA, 'bipia', 'code_attack_train.json');
  if (existsSync(bipia)) {
    for (const [group, texts] of Object.entries(JSON.parse(readFileSync(bipia, 'utf8')) as Record<string, string[]>)) {
      for (const t of texts) items.push({ text: t, label: 1, kind: 'result', split: 'train', group: `bipia:${group}`, family: 'bipia-code-train' });
    }
  }
  const r7 = rng(7);
  const embed = (payload: string, kind: Kind, split: DataSplit, r = r7): { text: string; at: number } => {
    const pool = benign[split][kind].length ? benign[split][kind] : benign[split].result;
    const host = clip(pool[Math.floor(r() * pool.length)]!, 900);
    if (kind === 'description') return { text: `${host.trim()} ${payload}`, at: host.trim().length + 1 };
    const prefix = kind === 'sampling' ? SAMPLING[split][Math.floor(r() * SAMPLING[split].length)]! : '';
    const cuts = [...host.matchAll(/\n|\. /g)].map((m) => m.index! + m[0].length);
    const at = cuts.length ? cuts[Math.floor(r() * cuts.length)]! : host.length;
    const before = `${prefix}${host.slice(0, at)}${r() < 0.5 ? '\n' : ''}`;
    return { text: `${before}${payload} ${host.slice(at)}`, at: before.length };
  };
  for (const l of [...generateLookalikes('train', LOOKALIKES.train), ...generateLookalikes('val', LOOKALIKES.val)]) items.push({ text: l.text, label: 0, kind: l.kind, split: l.split, group: l.group, family: 'lookalike' });
  for (const a of [...generateAttacks('train', ATTACKS.train), ...generateAttacks('val', ATTACKS.val), ...generateAttacks('test', ATTACKS.test)]) {
    const split: DataSplit = a.split;
    const e = a.carrier ? embed(a.text, a.kind, split) : { text: a.text, at: 0 };
    items.push({ text: e.text, label: 1, kind: a.kind, split, group: a.carrier ? `generated:${a.family}:carrier` : `generated:${a.family}`, family: a.family, ...(a.carrier ? { payload: [e.at, e.at + a.text.length] as [number, number] } : {}) });
  }
  // Train-only destructive actions in sampling text (attack-train-extra.ts), last and with a generator of their own: the attacks above are unchanged.
  const r23 = rng(23);
  for (const a of generateTrainExtra(TRAIN_EXTRA)) {
    const e = a.carrier ? embed(a.text, a.kind, 'train', r23) : { text: a.text, at: 0 };
    items.push({ text: e.text, label: 1, kind: a.kind, split: 'train', group: `generated:${a.family}:extra${a.carrier ? ':carrier' : ''}`, family: a.family, ...(a.carrier ? { payload: [e.at, e.at + a.text.length] as [number, number] } : {}) });
  }
  return items;
}
