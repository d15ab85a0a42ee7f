/**
 * The pin guard a gateway runs with, built from its configuration; and where the pin files are,
 * for the CLI. A wrapped server given no `--name` is keyed by its launch (`upstream@<hash>`):
 * every `portcullis wrap` would otherwise be the same `upstream`, and two different servers
 * wrapped from one directory would look like one server whose launch drifted.
 */
import { isAbsolute, join, resolve } from 'node:path';
import type { AuditLog } from '../audit/audit-log.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { launchPart, pinHash } from './pin-definition.ts';
import { PINS_FILE } from './pin-file.ts';
import { PinGuard } from './pin-guard.ts';

export function pinPaths(config: Config, stateDir?: string): { stateFile: string; lockfile: string; mode: 'tofu' | 'lockfile' } {
  const p = config.mcp.security.pinning;
  const dir = stateDir ?? config.mcp.state.dir;
  return { stateFile: join(dir, PINS_FILE), lockfile: isAbsolute(p.lockfile) ? p.lockfile : resolve(p.lockfile), mode: p.mode };
}

export function pinGuardFromConfig(loaded: LoadedConfig, opts: { audit: AuditLog; log: (line: string) => void; unnamedWrap?: boolean }): PinGuard | undefined {
  const p = loaded.config.mcp.security.pinning;
  if (!p.enabled && !loaded.servers.some((s) => s.effective.pinning.enabled)) return undefined;
  const servers = loaded.servers.map((s) => {
    const launch = launchPart(s);
    const key = opts.unnamedWrap ? `${s.name}@${pinHash(launch).slice(7, 19)}` : s.name;
    return { name: s.name, key, launch: p.launch && !opts.unnamedWrap ? launch : undefined, origin: originOf(s.url), settings: s.effective.pinning };
  });
  const guard = new PinGuard({ servers, ...pinPaths(loaded.config), audit: opts.audit, log: opts.log });
  guard.watch();
  return guard;
}

/** An HTTP server's origin (its icons may live there); a stdio server has none. */
function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
