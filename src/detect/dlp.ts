/**
 * Data-loss prevention: secrets (secretlint's recommended preset, JWTs, PEM private keys and the
 * families the preset leaves out: secret-rules.ts, pem.ts, token-rules.ts) and personal data
 * (pii-rules.ts) in one scan per string.
 *
 * One RE2.Set holds every PII pattern, the JWT pattern, the own secret rules, the PEM armour, the
 * reversed token prefixes, what makes a string worth decoding and the secretlint anchors, so a
 * string with nothing in it costs one linear pass. Only the patterns the set reports are run again for their positions, only PII and
 * JWT candidates that pass their check digit / header are reported, and only strings with a
 * secretlint anchor go to secretlint — all of a message's strings in one call (`scanDlp`).
 *
 * Secrets are looked for in more than the string as sent (what an injected agent does to get a
 * key past a filter): its decoded views (secret-views.ts: zero-width characters and fullwidth
 * forms undone, percent and other escapes, base64 and hex runs decoded, each read backwards near
 * a reversed token prefix), and across the boundary of two neighbouring strings
 * (`joinWith`: an AWS key id split over two content blocks). Each finding is mapped back to the
 * characters of the original string(s) that spelled it, so redaction removes exactly those (a
 * whole base64 run for a key inside it; both halves of a split key). Personal data is looked for
 * in the strings as sent only. Findings never carry the secret itself.
 */
import RE2 from 're2';
import type { Finding, Severity } from './finding.ts';
import { PII_RULES, PII_TYPES, type PiiType } from './pii-rules.ts';
import { findPemKeys, PEM_MARKER_SOURCE } from './pem.ts';
import { isJwt, JWT_SOURCE, lintStrings, SECRET_ANCHORS } from './secret-rules.ts';
import { REVERSED_ANCHOR, reversedViews, RUN_SOURCE, secretViews, SURFACE_SOURCE, type SecretView } from './secret-views.ts';
import { TOKEN_RULES } from './token-rules.ts';
import { re2SetInput } from './re2-input.ts';

const JWT_INDEX = PII_RULES.length;
const TOKEN_FROM = JWT_INDEX + 1;
const PEM_INDEX = TOKEN_FROM + TOKEN_RULES.length;
const REVERSED_INDEX = PEM_INDEX + 1;
const SURFACE_INDEX = REVERSED_INDEX + 1;
const RUN_INDEX = SURFACE_INDEX + 1;
const ANCHOR_FROM = RUN_INDEX + 1;

interface Compiled {
  set: InstanceType<typeof RE2.Set>;
  pii: RE2[];
  token: RE2[];
  jwt: RE2;
}
let compiled: Compiled | undefined;

/**
 * One automaton for all of it, compiled on first use (~0.1 s: not on the gateway's start-up
 * path). RE2's default 8 MiB leaves the set's DFA cache too small for the own rules' bounded
 * repeats and case-insensitive names: it thrashes (~15x slower on a 256 KiB README); 64 MiB (as
 * the injection set) keeps it at the cost of the PII patterns alone.
 */
function compile(): Compiled {
  compiled ??= {
    set: new RE2.Set(
      [...PII_RULES.map((r) => r.source), JWT_SOURCE, ...TOKEN_RULES.map((r) => r.source), PEM_MARKER_SOURCE, REVERSED_ANCHOR, SURFACE_SOURCE, RUN_SOURCE, ...SECRET_ANCHORS],
      'u',
      { maxMem: 64 << 20 },
    ),
    pii: PII_RULES.map((r) => new RE2(r.source, 'gu')),
    token: TOKEN_RULES.map((r) => new RE2(r.source, 'gu')),
    jwt: new RE2(JWT_SOURCE, 'gu'),
  };
  return compiled;
}

/** Characters of each neighbour joined across a boundary: longer than any token the rules know. */
const JOIN_WINDOW = 512;
/** Own rules that only say "a secret-looking value": a named family found on the same span wins. */
const WEAK = new Set(['generic-secret', 'password', 'credential-assignment', 'url-password', 'database-password']);

export interface DlpOptions {
  secrets?: boolean;
  /** PII types to report; default all, empty for none. */
  piiTypes?: readonly PiiType[];
}

export interface DlpItem {
  text: string;
  path?: string;
  /** Index of the item read right after this one (the next text block of the same content): a secret may be split across them. */
  joinWith?: number;
}

const ALL_PII: ReadonlySet<PiiType> = new Set(PII_TYPES);

function* matches(re: RE2, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    yield m;
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** A text scanned for secrets and where its offsets land in the items. */
interface Target {
  text: string;
  item: number;
  /** Offsets in `text` → offsets in item `item` (views). */
  view?: SecretView;
  /** Joined neighbours: `text` is the tail of `item` from `offset`, then the head of item `next` from `boundary`. */
  join?: { offset: number; boundary: number; next: number };
  pii: boolean;
}

interface Placed {
  item: number;
  start: number;
  end: number;
}

function place(t: Target, s: number, e: number): Placed[] {
  if (t.join) {
    const { offset, boundary, next } = t.join;
    const out: Placed[] = [];
    if (s < boundary) out.push({ item: t.item, start: offset + s, end: offset + Math.min(e, boundary) });
    if (e > boundary) out.push({ item: next, start: Math.max(s, boundary) - boundary, end: e - boundary });
    return out;
  }
  if (t.view) {
    const [start, end] = t.view.map(s, e);
    return [{ item: t.item, start, end }];
  }
  return [{ item: t.item, start: s, end: e }];
}

const secretFinding = (label: string, start: number, end: number, path?: string, how?: string): Finding => {
  const f: Finding = { category: 'secret', rule: `secret.${label}`, severity: (label === 'private-key' ? 'critical' : 'high') as Severity, path, start, end };
  if (how) f.excerpt = `spelled ${how}`;
  return f;
};

class Scan {
  readonly out: Finding[][];
  readonly lint: Target[] = [];
  private readonly items: readonly DlpItem[];
  private readonly opts: DlpOptions;
  private readonly piiTypes: ReadonlySet<PiiType>;
  constructor(items: readonly DlpItem[], opts: DlpOptions, piiTypes: ReadonlySet<PiiType>) {
    this.items = items;
    this.opts = opts;
    this.piiTypes = piiTypes;
    this.out = items.map(() => []);
  }

  secret(t: Target, label: string, s: number, e: number): void {
    for (const p of place(t, s, e)) if (p.end > p.start) this.out[p.item]!.push(secretFinding(label, p.start, p.end, this.items[p.item]!.path, t.view?.how));
  }

  /** One RE2 set pass over a target; what it finds is recorded, what needs more is queued. */
  target(t: Target, queue: Target[]): void {
    const re2 = compile();
    const hits = re2.set.match(re2SetInput(t.text));
    if (!hits.length) return;
    const secrets = this.opts.secrets !== false;
    const text = t.text;
    let lint = false;
    // The string as sent: its decoded views are scanned after it (when the set saw something to decode).
    if (secrets && !t.view && !t.join && (hits.includes(SURFACE_INDEX) || hits.includes(RUN_INDEX))) {
      for (const view of secretViews(text, { surface: hits.includes(SURFACE_INDEX), runs: hits.includes(RUN_INDEX) })) queue.push({ text: view.text, item: t.item, view, pii: false });
    }
    for (const i of hits) {
      if (i >= ANCHOR_FROM) lint ||= secrets;
      else if (i === SURFACE_INDEX || i === RUN_INDEX) continue;
      else if (i === REVERSED_INDEX) {
        if (secrets && !t.join && t.view?.how !== 'reversed') {
          for (const view of reversedViews(text, t.view?.map ?? ((s, e) => [s, e]))) queue.push({ text: view.text, item: t.item, view, pii: false });
        }
      } else if (i === PEM_INDEX) {
        if (secrets) for (const [s, e] of findPemKeys(text)) this.secret(t, 'private-key', s, e);
      } else if (i >= TOKEN_FROM) {
        if (!secrets) continue;
        const rule = TOKEN_RULES[i - TOKEN_FROM]!;
        const re = re2.token[i - TOKEN_FROM]!;
        for (const m of matches(re, text)) {
          const value = m[1] ?? m[0];
          const s = m.index + (m[1] === undefined ? 0 : m[0].lastIndexOf(value));
          // A rejected value may hold the next key (`"token": "aws_secret_access_key = …"`): go on from it.
          if (rule.confirm && !rule.confirm(value)) {
            if (m[1] !== undefined) re.lastIndex = s;
            continue;
          }
          this.secret(t, rule.label, s, s + value.length);
        }
      } else if (i === JWT_INDEX) {
        if (secrets) for (const m of matches(re2.jwt, text)) if (isJwt(m[0])) this.secret(t, 'jwt', m.index, m.index + m[0].length);
      } else if (t.pii) {
        const rule = PII_RULES[i]!;
        if (!this.piiTypes.has(rule.type)) continue;
        for (const m of matches(re2.pii[i]!, text)) {
          const ok = rule.confirm ? rule.confirm(m, text) : true;
          if (!ok) continue;
          const [start, end] = ok === true ? [m.index, m.index + m[0].length] : ok;
          this.out[t.item]!.push({ category: 'pii', rule: `pii.${rule.id}`, severity: rule.severity, path: this.items[t.item]!.path, start, end });
        }
      }
    }
    if (lint) this.lint.push(t);
  }
}

/** The targets of one message: each string and neighbours joined (views are added as they are found). */
function targetsOf(items: readonly DlpItem[], secrets: boolean): Target[] {
  const out: Target[] = items.map((it, item) => ({ text: it.text, item, pii: true }));
  if (!secrets) return out;
  items.forEach((it, item) => {
    const next = it.joinWith === undefined ? undefined : items[it.joinWith];
    if (next && it.joinWith !== item && it.text && next.text) {
      const offset = Math.max(0, it.text.length - JOIN_WINDOW);
      const tail = it.text.slice(offset);
      out.push({ text: tail + next.text.slice(0, JOIN_WINDOW), item, join: { offset, boundary: tail.length, next: it.joinWith! }, pii: false });
    }
  });
  return out;
}

/**
 * One finding per secret: the same label found twice on overlapping spans (the preset and
 * pem.ts, a string and its view) is merged, and a weak own rule gives way to a named family.
 * Sorted by start, a finding can only overlap the kept ones still open at its start and the later
 * ones starting before its end: n log n plus the overlaps (a string of 50,000 keys stays linear).
 */
function merge(found: Finding[]): Finding[] {
  if (found.length < 2) return found;
  const sorted = [...found].sort((a, b) => a.start! - b.start! || b.end! - a.end!);
  const weak = (g: Finding) => WEAK.has(g.rule.slice(7));
  const out: Finding[] = [];
  let open: Finding[] = []; // kept secret findings whose span reaches past the current start
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i]!;
    if (f.category !== 'secret') {
      out.push(f);
      continue;
    }
    open = open.filter((g) => g.end! > f.start!);
    const same = open.find((g) => g.rule === f.rule);
    if (same) {
      same.end = Math.max(same.end!, f.end!);
      continue;
    }
    if (weak(f)) {
      let named = open.length > 0;
      for (let k = i + 1; !named && k < sorted.length && sorted[k]!.start! < f.end!; k++) named = sorted[k]!.category === 'secret' && !weak(sorted[k]!);
      if (named) continue;
    } else {
      for (const g of open.filter(weak)) out.splice(out.indexOf(g), 1);
      open = open.filter((g) => !weak(g));
    }
    out.push(f);
    open.push(f);
  }
  return out;
}

/** Scans several strings (one message's leaves): findings per string, secretlint run at most once. */
export async function scanDlp(items: readonly DlpItem[], opts: DlpOptions = {}): Promise<Finding[][]> {
  const scan = new Scan(items, opts, opts.piiTypes ? new Set(opts.piiTypes) : ALL_PII);
  const queue = targetsOf(items, opts.secrets !== false);
  for (let k = 0; k < queue.length; k++) scan.target(queue[k]!, queue);
  if (scan.lint.length) {
    for (const s of await lintStrings(scan.lint.map((t) => t.text))) scan.secret(scan.lint[s.item]!, s.label, s.start, s.end);
  }
  return scan.out.map(merge);
}

/** The contract other detectors and `npm run eval:detect` use: one string. */
export async function scanSecrets(text: string, path?: string): Promise<Finding[]> {
  return (await scanDlp([{ text, path }]))[0]!;
}

/** For tests: secretlint on the whole string, without the anchor prefilter. */
export async function scanSecretsUnfiltered(text: string): Promise<Array<{ label: string; start: number; end: number }>> {
  return lintStrings([text]);
}
