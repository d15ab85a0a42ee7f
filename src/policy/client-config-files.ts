/**
 * Writes to MCP client configuration files, refused by default (CurXecute, CVE-2025-54135): an
 * agent talked into writing `.cursor/mcp.json` adds a server, and the client starts that server's
 * command, which is code execution on the user's machine. Claude Code's settings (hooks) and VS
 * Code's settings (`mcp` servers) are the same class.
 *
 * Applies to write-like tools (argument-inference.ts) and their path arguments, at any depth
 * (`{files: [{path}]}` as well as `{path}`). The directories that hold these files are protected
 * too, so `create_directory .cursor` (the first half of planting `.cursor/mcp.json`) and moving a
 * prepared `.cursor` directory into place are refused like writing the file. Matching folds case
 * (macOS and Windows file systems do).
 *
 * A value the guard cannot normalize is refused (fail closed): `proj/%ff/../.mcp.json` has a
 * reading that is not UTF-8 and `proj/\u0001/../.vscode/settings.json` a control character, yet
 * a server that takes the string as it is resolves both to the protected file. Numbers, booleans,
 * null and the empty string name no file and pass; a `scheme://` value is read as the relative
 * path a naive server would make of it.
 */
import { compilePathGlob, firstPathMatch, segmentsOf, type PathGlob } from './path-glob.ts';
import { normalizePath } from './path-normalize.ts';
import type { ConstraintVerdict } from './path-constraint.ts';

export const CLIENT_CONFIG_FILES: readonly string[] = [
  '**/.cursor/mcp.json',
  '**/.vscode/mcp.json',
  '**/.vscode/settings.json',
  '**/claude_desktop_config.json',
  '**/.mcp.json',
  '**/.claude.json',
  '**/.claude/settings.json',
  '**/.claude/settings.local.json',
  '**/.codeium/windsurf/mcp_config.json',
  '**/.gemini/settings.json',
  '**/cline_mcp_settings.json',
  '**/mcp_settings.json',
  '**/.roo/mcp.json',
  '**/.kiro/settings/mcp.json',
  '**/.amazonq/mcp.json',
  '**/.codex/config.toml',
  '**/.continue/config.json',
  '**/.continue/config.yaml',
  '**/.zed/settings.json',
  '**/.config/zed/settings.json',
];

/** Directories too generic to protect whole (`~/.config` holds everything). */
const GENERIC_DIRS = new Set(['.config']);

/**
 * `**\/.cursor/mcp.json` also protects `**\/.cursor`, and with it everything inside (a path
 * matches when an ancestor does): `.vscode/tasks.json` can run a command when a folder opens and
 * `.cursor/rules` steer the agent, so the whole client directory is off limits to agent writes.
 */
function withParents(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    out.add(p);
    const parts = p.split('/');
    for (let n = parts.length - 1; n >= 2 && parts[0] === '**'; n--) {
      if (!GENERIC_DIRS.has(parts[n - 1])) out.add(parts.slice(0, n).join('/'));
    }
  }
  return [...out];
}

export type ClientConfigCheck = (value: unknown) => ConstraintVerdict;

export function compileClientConfigCheck(extra: readonly string[], opts: { root?: string; home?: string } = {}): ClientConfigCheck {
  const globs: PathGlob[] = withParents([...CLIENT_CONFIG_FILES, ...extra]).map((p) => compilePathGlob(p, { root: '/', ...opts, fold: true }));
  return (value) => {
    if (value === null || typeof value === 'number' || typeof value === 'boolean' || value === '') return { ok: true, note: 'names no file' };
    // A relative path is judged against an assumed root of `/`: `.cursor/mcp.json` still ends in the protected name.
    const n = normalizePath(value, { root: opts.root ?? '/', home: opts.home ?? '/', urlsAsPaths: true });
    if (!n.ok) return { ok: false, rule: 'clientConfigFiles', reason: `a path the guard cannot normalize (${n.reason}): it could name a client configuration file` };
    for (const v of n.variants) {
      const hit = firstPathMatch(globs, segmentsOf(v.toLowerCase()));
      if (hit) return { ok: false, rule: `clientConfigFiles: ${hit.source}`, reason: `a write to '${v}', an MCP client configuration file` };
    }
    return { ok: true, note: 'not a client configuration file' };
  };
}
