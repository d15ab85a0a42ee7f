/** `portcullis check --config FILE`: validate without running; list problems and what is not enforced. */
import { findUnenforced } from '../config/enforcement.ts';
import { requireAuthProblems } from '../config/identity-schema.ts';
import { ConfigError, formatProblem, loadConfigFile, notFromUnsetEnv } from '../config/load.ts';
import { symlinkWarnings } from '../config/symlink-warnings.ts';
import { sandboxReadiness } from '../sandbox/readiness.ts';
import { transportSecurityProblems } from '../tls/readiness.ts';
import { CliError, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis check --config FILE [--json]

Validate a configuration without starting anything. Exit 0 when it is valid, 1 when it is not.
Every problem is listed with its YAML path, line and fix. Every security setting that is accepted
but not enforced by this build is listed too, and so is every path rule that only a sandbox could
hold to its word (a symlink passes a path check) where the sandbox does not.

Options:
  -c, --config FILE  the YAML configuration (required)
      --json         machine-readable output
  -h, --help         this help`;

export const checkCommand: Command = {
  summary: 'validate a configuration and list settings not enforced yet',
  usage,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } }, usage);
    if (!values.config) throw new CliError(`--config is required\n\n${usage}`);
    const file = values.config as string;
    try {
      // An unset ${VAR} is one problem among the others, not the end of the check (run and wrap
      // still refuse to start on it): all of them are listed in one run.
      const loaded = loadConfigFile(file, process.env, { allowUnsetEnv: true });
      // Settings valid in themselves that `run` would refuse on this host (transport: files that
      // cannot be read, mtls toward a plain-http upstream); each names its key and the fix.
      const problems = [...loaded.unsetEnv, ...[...requireAuthProblems(loaded.config), ...transportSecurityProblems(loaded)].filter(notFromUnsetEnv(loaded.unsetEnv))];
      const unenforced = findUnenforced(loaded.config, 'check');
      // Enforced by this build, but is the backend on this host? (See also `portcullis doctor`.)
      const sandbox = sandboxReadiness(loaded);
      // Valid, but a path rule narrower than what bounds it (symlinks pass a lexical check).
      const warnings = symlinkWarnings(loaded);
      const valid = problems.length === 0;
      if (values.json) {
        process.stdout.write(JSON.stringify({ valid, file, problems, notes: loaded.notes, warnings, unenforced, sandbox }, null, 2) + '\n');
        return valid ? 0 : 1;
      }
      const out = valid
        ? [`${file}: valid (${loaded.servers.length} server(s))`]
        : [`${file}: ${problems.length} problem(s) that \`run\` would refuse:`, ...problems.map((p) => `  ${p.path}${'line' in p && p.line ? ` (line ${p.line})` : ''}: ${p.message}${'fix' in p ? `\n    fix: ${p.fix}` : ''}`)];
      for (const n of loaded.notes) out.push(`note:${formatProblem(file, n).slice(1)}`);
      for (const w of warnings) out.push(`warning: ${w.path}: ${w.message}\n    fix: ${w.fix}`);
      if (unenforced.length) {
        out.push(`not enforced by this build (${unenforced.length}) — run/wrap refuse these unless --allow-unenforced:`);
        for (const u of unenforced) out.push(`  ${u.path}: ${u.what} (until: ${u.until})`);
      } else {
        out.push('every configured security setting is enforced by this build');
      }
      for (const r of sandbox) out.push(`sandbox on this host: ${r.path}: ${r.container} ${r.ok ? 'available' : 'NOT available'} (${r.detail}) → ${r.outcome}`);
      process.stdout.write(out.join('\n') + '\n');
      return valid ? 0 : 1;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      if (values.json) process.stdout.write(JSON.stringify({ valid: false, file, problems: err.problems }, null, 2) + '\n');
      else process.stdout.write(err.message + '\n');
      return 1;
    }
  },
};
