/**
 * Path globs that match whole segments.
 *
 * A naive check treats paths as strings: `startsWith('/data/public')` lets `/data/public-evil`
 * through (CVE-2025-53110, the server-filesystem prefix bypass). Here a path is a list of
 * segments and a pattern is matched segment by segment:
 *
 * - `*` and `?` never cross a `/` (they are matched inside one segment by `compileGlob`);
 * - `**` as a whole segment matches zero or more segments;
 * - a pattern containing `/` is anchored at the root (`/data/public/*`, `**\/secrets/*`);
 * - a pattern without `/` (`*.pem`, `node_modules`) matches any single segment at any depth;
 * - a path matches when it or any of its ancestors matches: `/etc/*` covers `/etc/ssh/key`
 *   (a forbidden directory covers everything under it, an allowed one likewise).
 *
 * Matching is a small dynamic program over (pattern segment, path segment): O(pattern × path),
 * no regex, nothing exponential on hostile input.
 */
import { posix } from 'node:path';
import { compileGlob, type GlobMatcher } from './glob.ts';

export interface PathGlob {
  /** The pattern as the operator wrote it. */
  source: string;
  /** Does this normalized absolute path (or one of its ancestors) match? */
  matches(segments: readonly string[]): boolean;
}

type SegmentMatcher = GlobMatcher | '**';

/** `/a/b/c` -> ['a', 'b', 'c']; `/` -> []. The path must already be normalized. */
export function segmentsOf(absolute: string): string[] {
  return absolute.split('/').filter((s) => s.length > 0);
}

function compileSegments(parts: readonly string[], fold: boolean): SegmentMatcher[] {
  const out: SegmentMatcher[] = [];
  for (const p of parts) {
    if (p === '**') {
      if (out[out.length - 1] !== '**') out.push('**');
      continue;
    }
    out.push(compileGlob(fold ? p.toLowerCase() : p));
  }
  return out;
}

/** True when the pattern matches the first k segments of the path, for some k. */
function matchesSomePrefix(pat: readonly SegmentMatcher[], path: readonly string[]): boolean {
  // reach[j]: pattern[0..i) can consume exactly path[0..j).
  let reach = new Array<boolean>(path.length + 1).fill(false);
  reach[0] = true;
  for (const m of pat) {
    const next = new Array<boolean>(path.length + 1).fill(false);
    if (m === '**') {
      let any = false;
      for (let j = 0; j <= path.length; j++) {
        any = any || reach[j];
        next[j] = any;
      }
    } else {
      for (let j = 0; j < path.length; j++) if (reach[j] && m(path[j])) next[j + 1] = true;
    }
    reach = next;
    if (!reach.includes(true)) return false;
  }
  return reach.includes(true);
}

export interface PathGlobOptions {
  /** Absolute directory that relative patterns (`data/*`) are resolved against. */
  root?: string;
  /** Absolute directory that `~` stands for. */
  home?: string;
  /** Compare case-insensitively (the subject must be lower-cased by the caller too). */
  fold?: boolean;
}

/** Why a pattern cannot be compiled, or undefined when it can (used by the config schema). */
export function pathGlobProblem(pattern: string, opts: PathGlobOptions): string | undefined {
  if (pattern.length === 0) return 'an empty pattern';
  if (pattern.includes('\0')) return 'a NUL byte';
  if (pattern.startsWith('~') && !pattern.startsWith('~/') && pattern !== '~') return '`~user` is not supported; write the directory';
  if (pattern.startsWith('~') && !opts.home) return 'a `~` pattern needs `home` on the rule (the server\'s home directory)';
  const anchored = pattern.startsWith('/') || pattern.startsWith('~') || pattern.startsWith('**');
  if (!anchored && pattern.includes('/') && !opts.root) return 'a relative pattern with `/` needs `root` on the rule';
  return undefined;
}

export function compilePathGlob(pattern: string, opts: PathGlobOptions = {}): PathGlob {
  const problem = pathGlobProblem(pattern, opts);
  if (problem) throw new Error(`path pattern '${pattern}': ${problem}`);
  let p = pattern.replace(/\\/g, '/');
  if (p === '~' || p.startsWith('~/')) p = opts.home + p.slice(1);
  if (!p.startsWith('/') && !p.startsWith('**') && p.includes('/')) p = `${opts.root}/${p}`;
  const fold = opts.fold === true;
  if (!p.includes('/')) {
    // One segment, unanchored: any segment of the path.
    const one = compileGlob(fold ? p.toLowerCase() : p);
    return { source: pattern, matches: (segs) => segs.some((s) => one(s)) };
  }
  // `..` and `.` in a pattern are the operator's shorthand; resolve them once.
  const normalized = p.startsWith('**') ? p : posix.resolve('/', p);
  const pat = compileSegments(segmentsOf(normalized), fold);
  return { source: pattern, matches: (segs) => matchesSomePrefix(pat, segs) };
}

/** First matching pattern of a list (index and source), for the audit record. */
export function firstPathMatch(globs: readonly PathGlob[], segments: readonly string[]): { index: number; source: string } | undefined {
  for (let i = 0; i < globs.length; i++) if (globs[i].matches(segments)) return { index: i, source: globs[i].source };
  return undefined;
}
