/**
 * Whether this host can run what a configuration asks for: for each scope with the sandbox on
 * (the global settings, and each stdio server), is its backend here? `check` and `doctor` print
 * it, so that "docker is configured but no engine answers" is known before a server refuses.
 */
import type { LoadedConfig } from '../config/load.ts';
import type { SandboxConfig } from '../config/sandbox-schema.ts';
import { probeBwrap, probeEngine, type Probe } from './detect.ts';

export interface Readiness {
  path: string;
  container: SandboxConfig['container'];
  required: boolean;
  ok: boolean;
  detail: string;
  /** What happens at start. */
  outcome: string;
}

export function sandboxReadiness(loaded: LoadedConfig): Readiness[] {
  const probes = new Map<string, Probe>();
  const probe = (c: SandboxConfig['container']) => {
    if (!probes.has(c)) probes.set(c, c === 'bubblewrap' ? probeBwrap() : probeEngine(c));
    return probes.get(c)!;
  };
  const scopes: { path: string; s: SandboxConfig }[] = [{ path: 'mcp.security.sandbox', s: loaded.config.mcp.security.sandbox }];
  loaded.servers.forEach((srv, i) => {
    if (srv.command) scopes.push({ path: `mcp.servers.${i} (${srv.name})`, s: srv.effective.sandbox });
  });
  return scopes
    .filter(({ s }) => s.enabled)
    .map(({ path, s }) => {
      const p = probe(s.container);
      const outcome = p.ok ? `servers start sandboxed with ${s.container}` : s.required ? 'servers will REFUSE to start (required: true)' : 'servers will run UNSANDBOXED, with a warning at every start (required: false)';
      return { path, container: s.container, required: s.required, ok: p.ok, detail: p.detail, outcome };
    });
}
