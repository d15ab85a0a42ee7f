/**
 * PEM private-key blocks (RFC 7468 armour; also OpenSSH, PGP `PRIVATE KEY BLOCK`, PKCS#8
 * `ENCRYPTED PRIVATE KEY`, legacy `Proc-Type: 4,ENCRYPTED` headers, the SSH2 `---- BEGIN ... ----`
 * variant), whatever the body length.
 *
 * The preset's rule wants a body of at least 100 characters of a fixed alphabet between a BEGIN
 * and an END line with a fixed type list: a short key (a test fixture, a config dump), a key
 * without its END line (`head id_rsa`), a one-line key, one with encryption headers or an
 * `ENCRYPTED` type reached the agent whole. Here the armour lines are found by one RE2 pass and
 * the body between them is read by a character loop:
 *
 * - BEGIN … END: a key when the body, header lines (`Name: value`) aside, is base64, whitespace
 *   and JSON escapes (`\n`) with at least one base64 run of 4+ that is not a lowercase word (prose
 *   such as "between -----BEGIN…----- and -----END…-----" is not), or when it holds at least 64
 *   characters in base64 runs of 16+ whatever else is mixed in (a real key with dots inserted);
 * - BEGIN without END (or END without BEGIN): a key when a base64 run of 40+ characters follows
 *   (precedes) it. "The file starts with -----BEGIN PRIVATE KEY-----" in a README is not a key.
 *
 * The reported span is the whole block, armour included: the redaction removes the key, not its
 * lines one by one. Linear: the markers are found once, and each body is read once between its
 * neighbouring markers (at most MAX_BODY characters).
 */
import RE2 from 're2';

/** RE2 source of an armour line; also the DLP prefilter's anchor for this family. */
export const PEM_MARKER_SOURCE = String.raw`-{4,5} ?(BEGIN|END) ?[A-Z0-9 _-]{0,60}PRIVATE KEY(?: BLOCK)? ?-{4,5}`;
const MARKER = new RE2(PEM_MARKER_SOURCE, 'g');

/** A PGP key with subkeys is a few KiB; an RSA 16384-bit PEM ~12 KiB. */
const MAX_BODY = 64 * 1024;
/** A lone armour line needs this much base64 beside it to be a (truncated) key. */
const LONE_RUN = 40;
/** A body with other characters mixed in still counts with this much base64 in long runs. */
const MIXED_TOTAL = 64;
const MIXED_RUN = 16;

interface Marker {
  begin: boolean;
  start: number;
  end: number;
}

const isB64 = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f || c === 0x3d;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
/** `\n`, `\r`, `\t` written as escapes (a key inside JSON text or an env file); also `\\n`. */
function escapeAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 0x5c) return 0;
  let j = i;
  while (j < s.length && s.charCodeAt(j) === 0x5c) j++;
  const c = s.charCodeAt(j);
  return c === 0x6e || c === 0x72 || c === 0x74 ? j + 1 - i : 0;
}
/** A header line (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: …`, PGP `Version: …`, SSH2 `Comment: …`) at i: its length. */
function headerAt(s: string, i: number, to: number): number {
  let j = i;
  const c0 = s.charCodeAt(j);
  if (!((c0 >= 0x41 && c0 <= 0x5a) || (c0 >= 0x61 && c0 <= 0x7a))) return 0;
  while (j < to && j - i <= 32) {
    const c = s.charCodeAt(j);
    if (c === 0x3a) break;
    if (!(isB64(c) || c === 0x2d) || c === 0x2b || c === 0x2f || c === 0x3d) return 0;
    j++;
  }
  if (s.charCodeAt(j) !== 0x3a || s.charCodeAt(j + 1) !== 0x20) return 0;
  while (j < to && s.charCodeAt(j) !== 0x0a && !(s.charCodeAt(j) === 0x5c && escapeAt(s, j))) j++;
  return j - i;
}

interface Body {
  /** Only base64, whitespace, escapes and header lines. */
  pure: boolean;
  /** A run of 4+ base64 characters that is not a lowercase word. */
  keyish: boolean;
  longest: number;
  /** Characters in runs of MIXED_RUN or more. */
  longTotal: number;
  /** End of the last base64 run (for a forward scan that stops at the first other character). */
  lastRunEnd: number;
}

/**
 * Reads [from, to). With `stopAtOther` (a body without its END line) it stops at the first
 * character that cannot be in a body, or at a short lowercase word (the prose after a truncated
 * key: base64 lines are long or, the last one, rarely all lowercase).
 */
function readBody(s: string, from: number, to: number, stopAtOther: boolean): Body {
  const b: Body = { pure: true, keyish: false, longest: 0, longTotal: 0, lastRunEnd: from };
  let run = 0;
  let upper = false;
  let lineStart = true;
  /** Ends the current run at `at`; false when the run is a word that ends the body. */
  const close = (at: number): boolean => {
    if (run === 0) return true;
    if (stopAtOther && run < MIXED_RUN && !upper) return false;
    if (run >= 4 && upper) b.keyish = true;
    if (run > b.longest) b.longest = run;
    if (run >= MIXED_RUN) b.longTotal += run;
    b.lastRunEnd = at;
    run = 0;
    upper = false;
    return true;
  };
  let i = from;
  while (i < to) {
    const c = s.charCodeAt(i);
    if (lineStart && run === 0) {
      const h = headerAt(s, i, to);
      if (h) {
        i += h;
        continue;
      }
    }
    if (isB64(c)) {
      run++;
      if (!(c >= 0x61 && c <= 0x7a)) upper = true;
      lineStart = false;
      i++;
      continue;
    }
    if (!close(i)) return b;
    const esc = escapeAt(s, i);
    if (esc || isSpace(c)) {
      lineStart = esc > 0 || c === 0x0a || (lineStart && c !== 0x20);
      i += esc || 1;
      continue;
    }
    b.pure = false;
    if (stopAtOther) return b;
    lineStart = false;
    i++;
  }
  close(i);
  return b;
}

/**
 * Backwards from an END line over the body, not past `limit`: where the body starts. Goes token by
 * token (whitespace and `\n` escapes between them) and stops at a short lowercase word or at
 * anything else, like the forward read.
 */
function bodyStartBefore(s: string, to: number, limit: number): number {
  let start = to;
  let i = to;
  const escapeEndsAt = (j: number) => j - 2 >= limit && s.charCodeAt(j - 2) === 0x5c && /[nrt]/.test(s[j - 1]!);
  while (i > limit) {
    let j = i;
    for (;;) {
      if (j > limit && isSpace(s.charCodeAt(j - 1))) j--;
      else if (escapeEndsAt(j)) j -= 2;
      else break;
    }
    let k = j;
    let upper = false;
    while (k > limit && isB64(s.charCodeAt(k - 1)) && !escapeEndsAt(k)) {
      const c = s.charCodeAt(k - 1);
      if (!(c >= 0x61 && c <= 0x7a)) upper = true;
      k--;
    }
    if (k === j || (j - k < MIXED_RUN && !upper)) break;
    start = k;
    i = k;
  }
  return start;
}

function markers(text: string): Marker[] {
  const out: Marker[] = [];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text)) out.push({ begin: m[1] === 'BEGIN', start: m.index, end: m.index + m[0].length });
  return out;
}

/** Spans [start, end) of private-key blocks in `text`. */
export function findPemKeys(text: string): Array<[number, number]> {
  if (text.indexOf('PRIVATE KEY') < 0) return [];
  const ms = markers(text);
  const out: Array<[number, number]> = [];
  let floor = 0; // nothing before this belongs to a block still to be found
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i]!;
    const next = ms[i + 1];
    if (m.begin) {
      if (next && !next.begin && next.start - m.end <= MAX_BODY) {
        const body = readBody(text, m.end, next.start, false);
        if ((body.pure && body.keyish) || body.longTotal >= MIXED_TOTAL) out.push([m.start, next.end]);
        floor = next.end;
        i++;
        continue;
      }
      const to = Math.min(next ? next.start : text.length, m.end + MAX_BODY);
      const body = readBody(text, m.end, to, true);
      if (body.longest >= LONE_RUN) out.push([m.start, body.lastRunEnd]);
      floor = body.longest >= LONE_RUN ? body.lastRunEnd : m.end;
      continue;
    }
    const from = Math.max(floor, m.start - MAX_BODY);
    const start = bodyStartBefore(text, m.start, from);
    if (readBody(text, start, m.start, false).longest >= LONE_RUN) out.push([start, m.end]);
    floor = m.end;
  }
  return out;
}
