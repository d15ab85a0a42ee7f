/**
 * Operator mistakes in the effective `sandbox` settings that the schema cannot see alone (they
 * depend on how global settings and overrides combine). Reported at load, with the key and the
 * fix, so that `check`, `run` and `wrap` all refuse them before anything starts.
 */
import type { SandboxConfig } from '../config/sandbox-schema.ts';

export interface SandboxProblem {
  path: string;
  /** YAML path for the line number. */
  at: (string | number)[];
  message: string;
  fix: string;
}

function problemsOf(s: SandboxConfig, path: string, at: (string | number)[], who: string): SandboxProblem[] {
  if (!s.enabled) return [];
  const out: SandboxProblem[] = [];
  if (s.container !== 'bubblewrap' && !s.image) {
    out.push({ path, at, message: `${who}: sandbox.container ${s.container} needs sandbox.image (the server's command runs inside it)`, fix: 'set sandbox.image, or use container: bubblewrap' });
  }
  if (s.container !== 'bubblewrap' && s.network === 'allowlist') {
    out.push({ path, at, message: `${who}: network: allowlist is enforced with bubblewrap only (the egress proxy and its bridge), not ${s.container}`, fix: 'use container: bubblewrap, or network: none' });
  }
  return out;
}

export function sandboxSettingProblems(global: SandboxConfig, servers: readonly { name: string; command?: string; effective: { sandbox: SandboxConfig } }[]): SandboxProblem[] {
  const out = problemsOf(global, 'mcp.security.sandbox', ['mcp', 'security', 'sandbox'], 'mcp.security.sandbox');
  const seen = new Set(out.map((p) => p.message.slice(p.message.indexOf(':'))));
  servers.forEach((s, i) => {
    if (!s.command) return; // Streamable HTTP servers are not started by the gateway
    for (const p of problemsOf(s.effective.sandbox, `mcp.servers.${i}`, ['mcp', 'servers', i], `server '${s.name}'`)) {
      if (!seen.has(p.message.slice(p.message.indexOf(':')))) out.push(p);
    }
  });
  return out;
}
