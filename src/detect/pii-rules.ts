/**
 * Personal data in traffic: e-mail, phone, payment card, IBAN, national ids. Every pattern is RE2
 * (linear time on hostile text, no backtracking), and every number-shaped rule is confirmed by a
 * check digit or an allocation rule (checksums.ts) before it is reported, because ids, hashes,
 * timestamps and version strings look like numbers too.
 *
 * Where the rules deliberately do not reach (documented in docs/content-security.md): national
 * phone formats without a country code other than North American ones (too close to ordinary
 * numbers), bare 9-digit SSNs (no dashes), and national ids of countries not listed here.
 */
import { cardValid, dniValid, ibanValid, ninoValid, ssnValid } from './checksums.ts';
import type { Severity } from './finding.ts';

export const PII_TYPES = ['email', 'phone', 'card', 'iban', 'national-id'] as const;
export type PiiType = (typeof PII_TYPES)[number];

export interface PiiRule {
  /** Rule id without the `pii.` prefix; also the redaction label. */
  id: string;
  type: PiiType;
  severity: Severity;
  /** RE2 syntax. */
  source: string;
  /** Confirms a match; may narrow it (returns the span to report), or rejects it. */
  confirm?: (m: RegExpExecArray, text: string) => boolean | [number, number];
}

/** File extensions that make `name@2x.png` look like an address. */
const NOT_TLD = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'css', 'json', 'html', 'md', 'txt', 'map', 'lock', 'yaml', 'yml', 'toml', 'py', 'rs', 'go']);

const digitsOf = (s: string) => s.replace(/[^0-9]/g, '');

/** A `+` glued to a word or digit is arithmetic or an identifier, not an international number. */
const standsAlone = (text: string, start: number) => start === 0 || !/[\w+]/.test(text[start - 1]!);

export const PII_RULES: readonly PiiRule[] = [
  {
    id: 'email',
    type: 'email',
    severity: 'low',
    source: String.raw`\b[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b`,
    // `git@github.com:owner/repo.git` is an SSH remote, not a mailbox.
    confirm: (m, text) => !NOT_TLD.has(m[0].slice(m[0].lastIndexOf('.') + 1).toLowerCase()) && !/^:[\w.-]+\//.test(text.slice(m.index + m[0].length, m.index + m[0].length + 80)),
  },
  {
    // E.164 written with a leading +: 8..15 digits in all (ITU-T E.164 allows at most 15).
    id: 'phone',
    type: 'phone',
    severity: 'medium',
    source: String.raw`\+[1-9][0-9]{0,3}(?:[ .-]?\(?[0-9]{1,5}\)?){1,5}`,
    confirm: (m, text) => {
      const n = digitsOf(m[0]).length;
      return n >= 8 && n <= 15 && standsAlone(text, m.index) && !/[0-9]/.test(text[m.index + m[0].length] ?? '');
    },
  },
  {
    // North American numbers (NANP): (NXX) NXX-XXXX with separators; bare 10-digit runs are ids.
    id: 'phone',
    type: 'phone',
    severity: 'medium',
    source: String.raw`(?:\([2-9][0-9]{2}\) ?|\b[2-9][0-9]{2}[.-])[2-9][0-9]{2}[ .-][0-9]{4}\b`,
    confirm: (m, text) => m.index === 0 || !/[0-9.+-]/.test(text[m.index - 1]!),
  },
  {
    id: 'card',
    type: 'card',
    severity: 'high',
    source: String.raw`\b[0-9](?:[ -]?[0-9]){12,18}\b`,
    confirm: (m) => {
      const seps = m[0].replace(/[0-9]/g, '');
      // One kind of separator, or none: "4111 1111-1111 1111" is not how a card is written.
      if (seps.length && seps.replace(seps[0]!, '').split('').some((c) => c !== seps[0])) return false;
      return cardValid(digitsOf(m[0]));
    },
  },
  {
    id: 'iban',
    type: 'iban',
    severity: 'high',
    source: String.raw`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`,
    confirm: (m) => {
      // The last group may have swallowed the next word ("... 32 AND"): shorten until it checks.
      let s = m[0];
      for (;;) {
        if (ibanValid(s)) return [m.index, m.index + s.length];
        const cut = s.lastIndexOf(' ');
        if (cut < 15) return false;
        s = s.slice(0, cut);
      }
    },
  },
  {
    id: 'us-ssn',
    type: 'national-id',
    severity: 'high',
    source: String.raw`\b([0-9]{3})-([0-9]{2})-([0-9]{4})\b`,
    confirm: (m) => ssnValid(m[1]!, m[2]!, m[3]!),
  },
  {
    id: 'uk-nino',
    type: 'national-id',
    severity: 'high',
    source: String.raw`\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b`,
    confirm: (m) => ninoValid(m[1]!),
  },
  {
    id: 'es-dni',
    type: 'national-id',
    severity: 'high',
    source: String.raw`\b([0-9]{8}|[XYZ][0-9]{7})-?([A-Z])\b`,
    confirm: (m) => dniValid(m[1]!, m[2]!),
  },
];
