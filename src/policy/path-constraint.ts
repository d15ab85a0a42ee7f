/**
 * `allowedPaths` / `forbiddenPaths` on one path argument.
 *
 * Every reading of the value (path-normalize.ts) must pass: none may match a forbidden pattern
 * and, when an allow list is set, every one must match an allowed pattern. Forbidden patterns
 * compare case-insensitively (macOS and Windows file systems fold case, so `/ETC/passwd` is
 * `/etc/passwd` there); allowed patterns compare exactly. Both choices can only refuse more.
 */
import { compilePathGlob, firstPathMatch, segmentsOf, type PathGlob } from './path-glob.ts';
import { normalizePath } from './path-normalize.ts';

export interface PathRules {
  allowedPaths?: readonly string[];
  forbiddenPaths?: readonly string[];
  root?: string;
  home?: string;
}

export type ConstraintVerdict = { ok: true; note: string } | { ok: false; rule: string; reason: string };

export type PathCheck = (value: unknown) => ConstraintVerdict;

export function compilePathConstraint(r: PathRules): PathCheck {
  const opts = { root: r.root, home: r.home };
  const allowed: PathGlob[] | undefined = r.allowedPaths?.map((p) => compilePathGlob(p, opts));
  const forbidden: PathGlob[] = (r.forbiddenPaths ?? []).map((p) => compilePathGlob(p, { ...opts, fold: true }));
  return (value) => {
    const n = normalizePath(value, opts);
    if (!n.ok) return { ok: false, rule: 'path', reason: n.reason };
    for (const v of n.variants) {
      const hit = firstPathMatch(forbidden, segmentsOf(v.toLowerCase()));
      if (hit) return { ok: false, rule: `forbiddenPaths[${hit.index}]: ${hit.source}`, reason: `'${v}' matches a forbidden path` };
    }
    if (allowed) {
      let last = '';
      for (const v of n.variants) {
        const hit = firstPathMatch(allowed, segmentsOf(v));
        if (!hit) return { ok: false, rule: 'allowedPaths', reason: `'${v}' is under no allowed path` };
        last = hit.source;
      }
      return { ok: true, note: `${n.variants.join(', ')} allowed by ${last}` };
    }
    return { ok: true, note: `${n.variants.join(', ')} not forbidden` };
  };
}
