/**
 * Where a tool rule's `allowedPaths` promises more than anything enforces (for `portcullis check`).
 *
 * The path check is lexical: a symlink inside an allowed directory that points outside it
 * (CVE-2025-53109) passes it, and the server follows the link. What bounds where such a link can
 * lead is the sandbox, which binds only its `allowedPaths` into the server's file system. So a
 * rule is only as narrow as its server's sandbox: when the sandbox binds a directory the rule
 * does not wholly allow (the sandbox binds `/data`, the rule allows `/data/public/**`), or when
 * there is no sandbox at all, a link reaches the rest and only the server itself can refuse it.
 * Each case is a warning, not an error: the configuration is valid, its promise is narrower.
 */
import { compilePathGlob, segmentsOf } from '../policy/path-glob.ts';
import type { LoadedConfig, ResolvedServer } from './load.ts';
import type { ToolRule } from './schema.ts';

export interface ConfigWarning {
  path: string;
  message: string;
  fix: string;
}

type RuleObject = Exclude<ToolRule, string>;

/** A child name no operator pattern matches except a wildcard: "everything under this directory". */
const ANY_CHILD = '\u0001any';

/** The YAML path of the allowedTools list a server ended up with (its own, a skill's, or the global one). */
function listPath(loaded: LoadedConfig, s: ResolvedServer, index: number): string {
  const list = s.effective.toolAccess.allowedTools;
  if (s.security?.toolAccess?.allowedTools === list) return `mcp.servers.${index}.security.toolAccess.allowedTools`;
  const k = loaded.config.mcp.skills.findIndex((sk) => sk.name === s.name && sk.security?.toolAccess?.allowedTools === list);
  return k >= 0 ? `mcp.skills.${k}.security.toolAccess.allowedTools` : 'mcp.security.toolAccess.allowedTools';
}

/** Does the rule allow this directory and everything under it? */
function allowsWhole(rule: RuleObject, dir: string): boolean {
  const segs = segmentsOf(dir);
  return (rule.allowedPaths ?? []).some((p) => {
    const g = compilePathGlob(p, { root: rule.root, home: rule.home });
    return g.matches(segs) || g.matches([...segs, ANY_CHILD]);
  });
}

/** The literal directory a pattern starts with (`/data/public/*.txt` -> `/data/public`; `*.pem` -> `/`). */
function patternBase(pattern: string, rule: RuleObject): string[] {
  let p = pattern.replace(/\\/g, '/');
  if (p === '~' || p.startsWith('~/')) p = (rule.home ?? '/') + p.slice(1);
  if (!p.includes('/')) return [];
  if (!p.startsWith('/') && !p.startsWith('**')) p = `${rule.root ?? ''}/${p}`;
  const segs = segmentsOf(p);
  const wild = segs.findIndex((x) => /[*?[\]{}]/.test(x) || x === '..' || x === '.');
  return wild < 0 ? segs : segs.slice(0, wild);
}

const isPrefix = (a: readonly string[], b: readonly string[]) => a.length <= b.length && a.every((x, i) => b[i] === x);

/**
 * The bound directories a link under an allowed path could usefully reach: writable ones, and
 * those on the same line as an allowed path (`/data` above `/data/public`, or below it). A
 * read-only bind that shares nothing with the rule (the server's own code) is left out.
 */
function exposedDirs(s: ResolvedServer, rule: RuleObject): string[] {
  const bases = (rule.allowedPaths ?? []).map((p) => patternBase(p, rule));
  return (s.effective.sandbox.allowedPaths ?? [])
    .map((e) => ({ dir: (typeof e === 'string' ? e : e.path).replace(/\/\*{1,2}$/, '') || '/', writable: typeof e !== 'string' && e.writable }))
    .filter(({ dir, writable }) => {
      if (allowsWhole(rule, dir)) return false;
      const d = segmentsOf(dir);
      return writable || bases.some((b) => isPrefix(d, b) || isPrefix(b, d));
    })
    .map(({ dir }) => dir);
}

export function symlinkWarnings(loaded: LoadedConfig): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  loaded.servers.forEach((s, i) => {
    const base = listPath(loaded, s, i);
    s.effective.toolAccess.allowedTools.forEach((r, j) => {
      if (typeof r === 'string' || !r.allowedPaths) return;
      const path = `${base}.${j}.allowedPaths`;
      const allowed = `[${r.allowedPaths.join(', ')}]`;
      const what = `rule '${r.pattern}' on server '${s.name}' allows ${allowed}, checked on the path string only: a symlink under an allowed path (CVE-2025-53109) passes it`;
      if (s.url) {
        out.push({ path, message: `${what}, and a remote server cannot be sandboxed by the gateway`, fix: 'make sure the server itself refuses links that leave its allowed directories' });
      } else if (!s.effective.sandbox.enabled) {
        out.push({ path, message: `${what}, and the server runs without a sandbox: the link reaches anything its process can read`, fix: `enable the sandbox for '${s.name}' with allowedPaths binding only ${allowed}'s directories` });
      } else {
        const wider = exposedDirs(s, r);
        if (wider.length) {
          out.push({
            path,
            message: `${what}, and the sandbox binds ${wider.map((d) => `'${d}'`).join(', ')}, which the rule does not wholly allow: the link reaches the rest of it`,
            fix: `bind only the allowed directories in the sandbox's allowedPaths (or narrow what is bound to what the rule allows)`,
          });
        }
      }
    });
  });
  return out;
}
