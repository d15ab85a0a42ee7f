/**
 * Data-loss prevention: secrets (secretlint's recommended preset + JWT, secret-rules.ts) and
 * personal data (pii-rules.ts) in one scan per string.
 *
 * One RE2.Set holds every PII pattern, the JWT pattern and the secret anchors, so a string with
 * nothing in it costs one linear pass. Only the patterns the set reports are run again for their
 * positions, only PII and JWT candidates that pass their check digit / header are reported, and
 * only strings with a secret anchor go to secretlint — all of a message's strings in one call
 * (`scanDlp`). Findings carry `start`/`end` in the scanned string so redaction replaces exactly
 * the secret; they never carry the secret itself.
 */
import RE2 from 're2';
import type { Finding, Severity } from './finding.ts';
import { PII_RULES, PII_TYPES, type PiiType } from './pii-rules.ts';
import { isJwt, JWT_SOURCE, lintStrings, SECRET_ANCHORS } from './secret-rules.ts';

const JWT_INDEX = PII_RULES.length;
const ANCHOR_FROM = JWT_INDEX + 1;
const SET = new RE2.Set([...PII_RULES.map((r) => r.source), JWT_SOURCE, ...SECRET_ANCHORS], 'u');
const PII_RE = PII_RULES.map((r) => new RE2(r.source, 'gu'));
const JWT_RE = new RE2(JWT_SOURCE, 'gu');

export interface DlpOptions {
  secrets?: boolean;
  /** PII types to report; default all, empty for none. */
  piiTypes?: readonly PiiType[];
}

export interface DlpItem {
  text: string;
  path?: string;
}

const ALL_PII: ReadonlySet<PiiType> = new Set(PII_TYPES);

function* matches(re: RE2, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    yield m;
    if (m[0].length === 0) re.lastIndex++;
  }
}

const secretFinding = (label: string, start: number, end: number, path?: string): Finding => ({
  category: 'secret',
  rule: `secret.${label}`,
  severity: (label === 'private-key' ? 'critical' : 'high') as Severity,
  path,
  start,
  end,
});

/** The synchronous part: PII and JWT findings, and whether secretlint must look at the string. */
function scanOne(item: DlpItem, opts: DlpOptions, piiTypes: ReadonlySet<PiiType>): { found: Finding[]; lint: boolean } {
  const hits = SET.match(item.text);
  const found: Finding[] = [];
  if (!hits.length) return { found, lint: false };
  let lint = false;
  const text = item.text;
  for (const i of hits) {
    if (i >= ANCHOR_FROM) {
      lint ||= opts.secrets !== false;
    } else if (i === JWT_INDEX) {
      if (opts.secrets === false) continue;
      for (const m of matches(JWT_RE, text)) if (isJwt(m[0])) found.push(secretFinding('jwt', m.index, m.index + m[0].length, item.path));
    } else {
      const rule = PII_RULES[i]!;
      if (!piiTypes.has(rule.type)) continue;
      for (const m of matches(PII_RE[i]!, text)) {
        const ok = rule.confirm ? rule.confirm(m, text) : true;
        if (!ok) continue;
        const [start, end] = ok === true ? [m.index, m.index + m[0].length] : ok;
        found.push({ category: 'pii', rule: `pii.${rule.id}`, severity: rule.severity, path: item.path, start, end });
      }
    }
  }
  return { found, lint };
}

/** Scans several strings (one message's leaves): findings per string, secretlint run at most once. */
export async function scanDlp(items: readonly DlpItem[], opts: DlpOptions = {}): Promise<Finding[][]> {
  const piiTypes = opts.piiTypes ? new Set(opts.piiTypes) : ALL_PII;
  const out: Finding[][] = [];
  const toLint: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const r = scanOne(items[i]!, opts, piiTypes);
    out.push(r.found);
    if (r.lint) toLint.push(i);
  }
  if (toLint.length) {
    const spans = await lintStrings(toLint.map((i) => items[i]!.text));
    for (const s of spans) {
      const i = toLint[s.item]!;
      out[i]!.push(secretFinding(s.label, s.start, s.end, items[i]!.path));
    }
  }
  return out;
}

/** The contract other detectors and `npm run eval:detect` use: one string. */
export async function scanSecrets(text: string, path?: string): Promise<Finding[]> {
  return (await scanDlp([{ text, path }]))[0]!;
}

/** For tests: secretlint on the whole string, without the anchor prefilter. */
export async function scanSecretsUnfiltered(text: string): Promise<Array<{ label: string; start: number; end: number }>> {
  return lintStrings([text]);
}
