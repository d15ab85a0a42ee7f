/**
 * The pin guard a gateway runs with, built from its configuration; and where the pin files are,
 * for the CLI. A wrapped server given no `--name` is keyed by its launch (`upstream@<hash>`):
 * every `portcullis wrap` would otherwise be the same `upstream`, and two different servers
 * wrapped from one directory would look like one server whose launch drifted.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { RedisConnection } from '../state/redis-connection.ts';
import { launchPart, pinHash } from './pin-definition.ts';
import { PinGuard } from './pin-guard.ts';
import { pinStores } from './pin-store.ts';

/** `state`: the shared Redis (`mcp.state.url`), where the pin state then lives (pin-store.ts). */
export async function pinGuardFromConfig(loaded: LoadedConfig, opts: { audit: AuditLog; log: (line: string) => void; unnamedWrap?: boolean; state?: RedisConnection }): Promise<PinGuard | undefined> {
  const p = loaded.config.mcp.security.pinning;
  if (!p.enabled && !loaded.servers.some((s) => s.effective.pinning.enabled)) return undefined;
  const servers = loaded.servers.map((s) => {
    const launch = launchPart(s);
    const key = opts.unnamedWrap ? `${s.name}@${pinHash(launch).slice(7, 19)}` : s.name;
    return { name: s.name, key, launch: p.launch && !opts.unnamedWrap ? launch : undefined, origin: originOf(s.url), settings: s.effective.pinning };
  });
  const stores = pinStores(loaded.config, { conn: opts.state });
  const guard = await PinGuard.open({ servers, stores, audit: opts.audit, log: opts.log }).catch((err: unknown) => {
    stores.close();
    throw err;
  });
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
