/**
 * The configuration an embedded guard runs: the same file, schema and loader as `run` and
 * `wrap`. Servers are what the host wraps, by name: every `mcp.servers` entry, every name that
 * `mcp.skills` gives overrides for (an agent's skills are its servers), and any name the host
 * adds. A name with no `mcp.servers` entry gets one with an `in-process` command that is never
 * started: the guard reaches that server through the agent's SDK client.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError, loadConfigText, type LoadedConfig } from '../config/load.ts';
import type { Unenforced } from '../config/enforcement.ts';
import { findUnenforced } from '../config/enforcement.ts';

/** The command of a server the guard only knows through an SDK client (never executed). */
export const IN_PROCESS_COMMAND = 'in-process';

export function loadGuardConfig(file: string, extraServers: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read: ${(err as Error).message}`, fix: 'check the path given to Guard.fromConfig' }]);
  }
  const doc = parseDocument(text);
  const js = (doc.toJS() ?? {}) as { mcp?: { servers?: { name?: unknown }[]; skills?: { name?: unknown }[] } };
  const declared = new Set((js.mcp?.servers ?? []).map((s) => s?.name));
  const wanted = [...(js.mcp?.skills ?? []).map((s) => s?.name), ...extraServers].filter((n): n is string => typeof n === 'string');
  const added = [...new Set(wanted)].filter((n) => !declared.has(n));
  if (added.length && !doc.errors.length) {
    const servers = [...(js.mcp?.servers ?? []), ...added.map((name) => ({ name, command: IN_PROCESS_COMMAND }))];
    doc.setIn(['mcp', 'servers'], doc.createNode(servers));
    text = doc.toString();
  }
  return loadConfigText(text, file, env);
}

/**
 * What the guard cannot enforce: it does not start servers (the agent's SDK client did), so a
 * sandbox, and the client certificate toward an HTTPS server (`mtls`), belong to the client's
 * own transport. Never ignored silently: Guard.fromConfig refuses them unless allowed, then warns.
 */
export function guardUnenforced(loaded: LoadedConfig): Unenforced[] {
  const out = findUnenforced(loaded.config, 'wrap');
  for (const s of loaded.servers) {
    if (s.effective.sandbox.enabled) {
      out.push({ path: `server '${s.name}': sandbox`, what: 'the guard does not start servers; sandbox the server under `portcullis wrap` (see docs/embedding.md)', until: 'not in the embedded guard' });
    }
    if (s.effective.mtls.enabled) {
      out.push({ path: `server '${s.name}': mtls`, what: "the client certificate toward the server belongs to the SDK client's transport", until: 'not in the embedded guard' });
    }
  }
  return out;
}
