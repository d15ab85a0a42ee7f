/**
 * What this build accepts in a configuration but does not enforce yet.
 *
 * A security setting is never silently ignored: `portcullis check` lists every entry found here,
 * and `run`/`wrap` refuse to start while any is present unless `--allow-unenforced` is given,
 * in which case each is printed as a warning on every start. When a capability lands, its
 * entry leaves this table in the same commit.
 */
import type { Config, Security, SecurityOverride } from './schema.ts';

export interface Unenforced {
  path: string;
  what: string;
  /** The issue/capability that will enforce it. */
  until: string;
}

type Sec = Security | SecurityOverride;

// Nothing is accepted-but-unenforced today. (`mtls` left this table with transport security:
// it configures the client side toward HTTPS upstreams, see src/tls/readiness.ts.)
function checkSecurity(sec: Sec | undefined, _base: string, _out: Unenforced[], _transport: 'any' | 'stdio' | 'http'): void {
  if (!sec) return;
}

export function findUnenforced(config: Config, mode: 'run' | 'wrap' | 'check' = 'check'): Unenforced[] {
  const out: Unenforced[] = [];
  const transport = mode === 'wrap' ? 'stdio' : mode === 'run' ? 'http' : 'any';
  checkSecurity(config.mcp.security, 'mcp.security', out, transport);
  config.mcp.servers.forEach((s, i) => checkSecurity(s.security, `mcp.servers.${i}.security`, out, transport));
  config.mcp.skills.forEach((s, i) => checkSecurity(s.security, `mcp.skills.${i}.security`, out, transport));
  return out;
}
