/**
 * Invisible characters: removed for matching, decoded when they smuggle text, reported as
 * `obfuscation` findings.
 *
 * - Tag characters U+E0000–E007F ("ASCII smuggling", Goodside/Rehberger 2024): U+E0020–E007E
 *   mirror printable ASCII and render as nothing, so a result can carry "ignore previous
 *   instructions" the user never sees. They are decoded in place to the ASCII they mirror.
 *   The one legitimate use, subdivision flags (🏴 + tags + U+E007F), is stripped unreported.
 * - Variation selectors U+FE00–FE0F, U+E0100–E01EF: one after an emoji is normal; a run of them
 *   encodes one byte each ("emoji smuggling", Butler 2025) and is decoded as UTF-8.
 * - Zero-width U+200B–200D, U+2060–2064, U+FEFF, U+180E: split keywords ("ig\u200Bnore").
 *   ZWJ/ZWNJ next to non-ASCII (emoji sequences, Indic and Persian text) is not reported.
 * - Bidi controls U+202A–202E, U+2066–2069 (Trojan Source, CVE-2021-42574): reorder what is shown.
 * - Soft hyphen U+00AD: invisible unless a line breaks at it.
 * C0/C1 controls other than tab/newline/CR are dropped silently (ANSI sanitizing is the
 * inspection stage's job; here they only must not split words).
 */
import type { Finding, Severity } from './finding.ts';

export interface Stripped {
  text: string;
  hidden: Finding[];
}

type Kind = 'tag-characters' | 'variation-selector-smuggling' | 'zero-width' | 'bidi-control' | 'soft-hyphen';
const SEVERITY: Readonly<Record<Kind, Severity>> = {
  'tag-characters': 'high',
  'variation-selector-smuggling': 'high',
  'zero-width': 'medium',
  'bidi-control': 'medium',
  'soft-hyphen': 'low',
};
/** A run of at least this many variation selectors is read as smuggled bytes, not emoji styling. */
const VS_RUN = 4;

const isZeroWidth = (c: number) => (c >= 0x200b && c <= 0x200d) || (c >= 0x2060 && c <= 0x2064) || c === 0xfeff || c === 0x180e;
const isBidi = (c: number) => (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c;
const isVs = (c: number) => (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef);
const vsByte = (c: number) => (c <= 0xfe0f ? c - 0xfe00 : c - 0xe0100 + 16);

function printable(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}]/gu, ' ').slice(0, 80);
}

/** Anything this module acts on; a native scan for it lets ordinary text skip the JS loop. */
const INVISIBLE_SOURCE = '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2069\\ufe00-\\ufe0f\\ufeff]|\\udb40[\\udc00-\\udfff]';
const ANY_INVISIBLE = new RegExp(INVISIBLE_SOURCE);
/** The same, global: the loop below jumps from one candidate to the next natively. */
const NEXT_INVISIBLE = new RegExp(INVISIBLE_SOURCE, 'g');

export function stripInvisible(input: string): Stripped {
  if (!ANY_INVISIBLE.test(input)) return { text: input, hidden: [] };
  const out: string[] = [];
  const seen = new Map<Kind, Finding>();
  const note = (kind: Kind, start: number, end: number, excerpt?: string) => {
    const f = seen.get(kind);
    if (f) return;
    seen.set(kind, { category: 'obfuscation', rule: `obfuscation.${kind}`, severity: SEVERITY[kind], start, end, excerpt });
  };
  let i = 0;
  let plain = 0; // start of the pending run of ordinary characters
  const flush = (to: number) => {
    if (to > plain) out.push(input.slice(plain, to));
  };
  while (i < input.length) {
    NEXT_INVISIBLE.lastIndex = i;
    const next = NEXT_INVISIBLE.exec(input);
    if (!next) break;
    i = next.index;
    const c = input.codePointAt(i)!;
    const width = c > 0xffff ? 2 : 1;
    if (c >= 0xe0000 && c <= 0xe007f) {
      flush(i);
      const start = i;
      let ascii = '';
      while (i < input.length) {
        const t = input.codePointAt(i)!;
        if (t < 0xe0000 || t > 0xe007f) break;
        if (t >= 0xe0020 && t <= 0xe007e) ascii += String.fromCharCode(t - 0xe0000);
        i += 2;
      }
      const flag = start >= 2 && input.codePointAt(start - 2) === 0x1f3f4 && /^[a-z0-9]{1,7}$/.test(ascii);
      if (!flag) {
        out.push(' ', ascii, ' ');
        note('tag-characters', start, i, printable(ascii));
      }
      plain = i;
      continue;
    }
    if (isVs(c)) {
      flush(i);
      const start = i;
      const bytes: number[] = [];
      while (i < input.length) {
        const t = input.codePointAt(i)!;
        if (!isVs(t)) break;
        bytes.push(vsByte(t));
        i += t > 0xffff ? 2 : 1;
      }
      if (bytes.length >= VS_RUN) {
        const decoded = Buffer.from(bytes).toString('utf8').replace(/\p{Cc}/gu, ' ');
        out.push(' ', decoded, ' ');
        note('variation-selector-smuggling', start, i, printable(decoded));
      }
      plain = i;
      continue;
    }
    let kind: Kind | undefined;
    if (isZeroWidth(c)) {
      const prev = i > 0 ? input.charCodeAt(i - 1) : 0;
      const next = i + 1 < input.length ? input.charCodeAt(i + 1) : 0;
      const joiner = c === 0x200c || c === 0x200d;
      const bom = c === 0xfeff && i === 0;
      if (!bom && !(joiner && (prev > 0x7f || next > 0x7f))) kind = 'zero-width';
      flush(i);
      if (kind) note(kind, i, i + 1);
      i += 1;
      plain = i;
      continue;
    }
    if (isBidi(c)) kind = c === 0x200e || c === 0x200f || c === 0x061c ? undefined : 'bidi-control';
    else if (c === 0xad) kind = 'soft-hyphen';
    else if (!((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f))) {
      i += width;
      continue;
    }
    flush(i);
    if (kind) note(kind, i, i + 1);
    i += width;
    plain = i;
  }
  if (plain === 0 && out.length === 0) return { text: input, hidden: [] };
  flush(input.length);
  return { text: out.join(''), hidden: [...seen.values()] };
}
