/**
 * Glob matching for tool, prompt and resource names.
 *
 * `*` matches any run of characters (`.` and `/` included), `?` exactly one character (one code
 * point, so an emoji counts once), everything else is literal, so `fs.read+x` needs no escaping.
 * The whole string must match.
 *
 * No RegExp is built. Patterns come from the operator but subjects come from untrusted clients and
 * servers, and a backtracking regex engine goes exponential on `*a*a*a*b` against `aaaa…`. This is
 * the two-pointer matcher that remembers only the last `*`: on a mismatch, that star swallows one
 * more character and matching resumes after it. Earlier stars never need revisiting (whatever they
 * could absorb, the later star can too), so the worst case is O(pattern × subject) and the common
 * case is linear.
 */

export type GlobMatcher = (s: string) => boolean;

/** Characters are compared by index: a plain string (UTF-16 units) or an array of code points. */
type Chars = ArrayLike<string>;

function wildcardMatch(pat: Chars, s: Chars): boolean {
  let p = 0;
  let i = 0;
  let star = -1; // index of the last `*` seen in pat
  let mark = 0; // where in s that star's run currently ends
  while (i < s.length) {
    if (p < pat.length) {
      const c = pat[p];
      // Star first: a `*` in the subject must not be taken as a literal match for the wildcard.
      if (c === '*') {
        star = p++;
        mark = i;
        continue;
      }
      if (c === '?' || c === s[i]) {
        p++;
        i++;
        continue;
      }
    }
    if (star < 0) return false;
    p = star + 1;
    i = ++mark;
  }
  while (p < pat.length && pat[p] === '*') p++;
  return p === pat.length;
}

/** Runs of `*` are one star; collapsing them keeps the backtracking short. */
function collapseStars(chars: string[]): string[] {
  const out: string[] = [];
  for (const c of chars) if (c !== '*' || out[out.length - 1] !== '*') out.push(c);
  return out;
}

export function compileGlob(pattern: string): GlobMatcher {
  const hasStar = pattern.includes('*');
  const hasAny = pattern.includes('?');
  if (!hasStar && !hasAny) return (s) => s === pattern;
  if (!hasAny) {
    // Without `?` no "one character" is ever counted, so UTF-16 units compare exactly as code
    // points would, and the subject needs no copying.
    const pat = collapseStars(pattern.split('')).join('');
    return (s) => wildcardMatch(pat, s);
  }
  const pat = collapseStars(Array.from(pattern));
  return (s) => wildcardMatch(pat, Array.from(s));
}
