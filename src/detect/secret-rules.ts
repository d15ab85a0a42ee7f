/**
 * Secrets: secretlint's recommended preset (the maintained ruleset), run only where it can match.
 *
 * `lintSource` costs ~150-300 µs a call whatever the size (it sets up every rule each time),
 * which is more than the rest of the gateway spends on a small result. Every rule in the preset
 * is anchored on a literal (a token prefix such as `ghp_`, `xoxb-`, `AKIA`, `PRIVATE KEY`, a
 * connection-string scheme), so one RE2 pass over each string for those anchors (SECRET_ANCHORS)
 * decides whether secretlint needs to run at all, and the strings that need it go to ONE
 * `lintSource` call per message, joined with a separator no rule can match across. The anchors
 * must stay a superset of the preset's patterns: test/unit/dlp.test.ts runs every fixture both
 * ways and fails if the prefilter hides a finding secretlint would make. Large inputs are linted
 * in calls of at most CHUNK characters (the preset's duplicate filter is quadratic per call).
 *
 * Configuration of the preset, and why:
 * - `filter-comments` is left out: it honours `secretlint-disable` comments in the scanned text,
 *   and the text is the attacker's (an injected agent could add the comment to what it sends).
 * - AWS access key ids are scanned (`enableIDScanRule`): an id is half a credential and names the
 *   account; the preset's default skips it to spare source trees, not traffic.
 * - The source is named `inspect.txt`: the GCP rule reads `*.p12` files from disk by name.
 *
 * JWTs are not in the preset: `eyJ…​.…​.…` is reported when its header decodes to a JSON object
 * with an `alg` (RFC 7519 / RFC 7515 compact serialization), so base64 that merely starts with
 * `eyJ` is not.
 */
import { lintSource } from '@secretlint/core';
import { rules as presetRules } from '@secretlint/secretlint-rule-preset-recommend';
import type { SecretLintCoreConfig } from '@secretlint/types';

/** RE2 sources, one per family; a match only means "ask secretlint". */
export const SECRET_ANCHORS: readonly string[] = [
  String.raw`\b(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}\b`,
  String.raw`(?i)secret_?access_?key`,
  String.raw`PRIVATE KEY`,
  String.raw`(?:https?|ftps?)://[-a-zA-Z0-9_]{1,256}:[-a-zA-Z0-9_]{1,256}@`,
  String.raw`(?i)(?:mongodb(?:\+srv)?|mysqlx?|postgres(?:ql)?)://`,
  String.raw`hooks\.slack\.com/services/`,
  String.raw`\b(?:xox[bparo]|xapp)-`,
  String.raw`T3BlbkFJ|sk-ant-api0|SG\.\w|\bdapi[0-9a-fA-F]|tskey-|ops_ey|\bhv[sbr]\.`,
  String.raw`(?:npm|gsk|hf|ntn|shppa|shpca|shpat|shpss|sk_live|sk_test|rk_live|rk_test|gh[pousr]|github_pat|glc|glsa|vc[piark]|dckr_pat|figd|cfk|cfut|cfat)_|lin_api_|glpat-`,
];

export const JWT_SOURCE = String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`;

const LINT_CONFIG: SecretLintCoreConfig = {
  rules: presetRules
    .filter((r) => r.meta.id !== '@secretlint/secretlint-rule-filter-comments')
    .map((r) =>
      r.meta.id === '@secretlint/secretlint-rule-aws'
        ? { id: r.meta.id, rule: r, options: { enableIDScanRule: true }, allowMessageIds: ['AWSAccountID'] }
        : { id: r.meta.id, rule: r },
    ),
};

/** Readable redaction labels for secretlint's message ids; others are kebab-cased. */
const LABELS: Readonly<Record<string, string>> = {
  AWSAccessKeyID: 'aws-access-key',
  AWSSecretAccessKey: 'aws-secret-key',
  PrivateKey: 'private-key',
  PrivateKeyJSON: 'private-key',
  BasicAuth: 'basic-auth',
  MongoDBConnection: 'database-url',
  MySQLConnection: 'database-url',
  PostgreSQLConnection: 'database-url',
};

export const labelOf = (messageId: string): string =>
  LABELS[messageId] ?? messageId.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/_/g, '-').toLowerCase();

export interface SecretSpan {
  /** Index of the input string. */
  item: number;
  label: string;
  start: number;
  end: number;
}

/** Between joined strings: NUL matches no rule's character class, the newlines end every line rule. */
const SEP = '\n\u0000\n';
/**
 * Content per `lintSource` call. secretlint's duplicate filter compares every finding of a call
 * with every other (quadratic: 20,000 AWS key ids in one call took 8 s, 50,000 over a minute, the
 * event loop blocked), so a hostile result is linted in calls of this size; each costs ~0.2 ms.
 */
const CHUNK = 32 * 1024;
/** Pieces of a longer string overlap by this much: longer than any secret the preset matches (PEM keys are pem.ts's, read whole). */
const OVERLAP = 1024;

interface Piece {
  item: number;
  offset: number;
  text: string;
}

/** The strings cut into pieces of at most CHUNK characters, overlapping, grouped into calls of about CHUNK. */
function batches(texts: readonly string[]): Piece[][] {
  const out: Piece[][] = [];
  let batch: Piece[] = [];
  let size = 0;
  const add = (p: Piece) => {
    if (size > 0 && size + p.text.length > CHUNK) {
      out.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(p);
    size += p.text.length + SEP.length;
  };
  texts.forEach((t, item) => {
    for (let offset = 0; ; offset += CHUNK - OVERLAP) {
      add({ item, offset, text: t.slice(offset, offset + CHUNK) });
      if (offset + CHUNK >= t.length) break;
    }
  });
  if (batch.length) out.push(batch);
  return out;
}

/**
 * Runs the preset over several strings (each already known to hold an anchor), in as few calls
 * as CHUNK allows, and maps every finding back to its string and offsets. The overlap of two
 * pieces may report a secret twice: the caller merges findings of one label that overlap.
 */
export async function lintStrings(texts: readonly string[]): Promise<SecretSpan[]> {
  const out: SecretSpan[] = [];
  for (const batch of batches(texts)) {
    const starts: number[] = [];
    let pos = 0;
    for (const p of batch) {
      starts.push(pos);
      pos += p.text.length + SEP.length;
    }
    const content = batch.map((p) => p.text).join(SEP);
    const r = await lintSource({ source: { filePath: 'inspect.txt', content, contentType: 'text' }, options: { config: LINT_CONFIG, noPhysicFilePath: true } });
    for (const m of r.messages) {
      let [s, e] = m.range;
      // The AWS secret-key rule reports the start of `aws_secret_access_key = ` with the key's
      // length: the span is wrong. Its data carries the key; find it after that start.
      const key = (m.data as { KEY?: unknown } | undefined)?.KEY;
      if (m.messageId === 'AWSSecretAccessKey' && typeof key === 'string') {
        const at = content.indexOf(key, s);
        if (at >= 0) [s, e] = [at, at + key.length];
      }
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= s) lo = mid;
        else hi = mid - 1;
      }
      const p = batch[lo]!;
      const base = starts[lo]!;
      if (s - base >= p.text.length) continue; // inside a separator: cannot happen, never trusted
      out.push({ item: p.item, label: labelOf(m.messageId ?? m.ruleId), start: p.offset + s - base, end: p.offset + Math.min(e - base, p.text.length) });
    }
  }
  return out;
}

/** A JWT candidate is one if its header is a JSON object naming an algorithm. */
export function isJwt(token: string): boolean {
  const head = token.slice(0, token.indexOf('.'));
  try {
    const json = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as unknown;
    return typeof json === 'object' && json !== null && typeof (json as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}
