/**
 * A readable diff between a pinned definition and the one a server now sends: text fields
 * (instructions, description, title) line by line, everything else (schemas, annotations, arguments) as the
 * JSON paths that were added, removed or changed. An operator approves what this shows.
 */
import { canonicalJson } from '../audit/canonical-json.ts';

const MAX_LINES = 400;

/** Line diff (LCS, bounded): `  ` same, `- ` pinned only, `+ ` new only. */
export function textDiff(a: string, b: string): string[] {
  const x = a.split('\n').slice(0, MAX_LINES);
  const y = b.split('\n').slice(0, MAX_LINES);
  const n = x.length;
  const m = y.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) L[i][j] = x[i] === y[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      out.push(`  ${x[i++]}`);
      j++;
    } else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  return out;
}

/** Leaf paths that differ, as `~ /path: old -> new`, `+ /path: new`, `- /path: old`. */
export function jsonDiff(a: unknown, b: unknown, path = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object';
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!(k in a)) return [`+ ${p}: ${show(b[k])}`];
      if (!(k in b)) return [`- ${p}: ${show(a[k])}`];
      return jsonDiff(a[k], b[k], p);
    });
  }
  return canonicalJson(a) === canonicalJson(b) ? [] : [`~ ${path || '/'}: ${show(a)} -> ${show(b)}`];
}

function show(v: unknown): string {
  const s = canonicalJson(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

const TEXT_FIELDS = ['instructions', 'description', 'title'];

/** The whole diff of two pinned parts, for `portcullis pins diff`. */
export function definitionDiff(pinned: Record<string, unknown> | undefined, now: Record<string, unknown>): string[] {
  if (!pinned) return ['(nothing pinned: the whole definition is new)', ...jsonDiff({}, now)];
  const out: string[] = [];
  for (const f of TEXT_FIELDS) {
    const a = typeof pinned[f] === 'string' ? (pinned[f] as string) : '';
    const b = typeof now[f] === 'string' ? (now[f] as string) : '';
    if (a !== b) out.push(`${f}:`, ...textDiff(a, b).map((l) => `  ${visible(l)}`));
  }
  const rest = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => !TEXT_FIELDS.includes(k)));
  const j = jsonDiff(rest(pinned), rest(now));
  if (j.length) out.push('fields:', ...j.map((l) => `  ${visible(l)}`));
  return out;
}

/** Invisible and control characters shown as escapes: the terminal must not hide them again. */
function visible(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
