/**
 * The scans a pinned definition gets, with the server's poisoning policy applied: the poisoning
 * scan of its text (detect/poisoning.ts), where its icons and `_meta` URLs point
 * (detect/metadata-urls.ts), and whether another server offers a tool of the same name. Results
 * are cached per definition hash and the other servers' tool names, so a list re-read after
 * every `list_changed` costs a map lookup per unchanged item.
 */
import type { Pinning } from '../config/pinning-schema.ts';
import type { Finding } from '../detect/finding.ts';
import { scanMetadataUrls, stripIcons } from '../detect/metadata-urls.ts';
import { scanDefinition } from '../detect/poisoning.ts';
import type { ItemKind } from './pin-definition.ts';

export interface ScannedServer {
  name: string;
  /** The server's own origin (HTTP servers): icons there are its own. */
  origin?: string;
  settings: Pinning;
}

export const FOREIGN_ICON = 'metadata.foreign-icon';
const MAX_CACHED = 5000;

/** True when this server's icons are filtered (the rule is on and not ignored for it). */
export function stripsIcons(s: ScannedServer): boolean {
  return s.settings.poisoning.enabled && !s.settings.poisoning.ignoreRules.includes(FOREIGN_ICON);
}

/** A definition as clients get it: icons that would leave the server's origin removed. */
export function forClients<T extends Record<string, unknown>>(s: ScannedServer, def: T): T {
  return stripsIcons(s) ? stripIcons(def, s.origin) : def;
}

export class PinScanner {
  private readonly cache = new Map<string, Finding[]>();

  /**
   * Findings the policy acts on (flag or block) for one definition. `others`: the tool names of
   * every other server and a key for them; `offeredBy`: which other servers list a tool name.
   */
  findings(s: ScannedServer, kind: ItemKind, name: string, part: Record<string, unknown>, hash: string, others: { names: Set<string>; sig: string }, offeredBy: (tool: string) => string[]): Finding[] {
    const p = s.settings.poisoning;
    if (!p.enabled) return [];
    const sig = `${s.name}\u0000${kind}\u0000${hash}\u0000${others.sig}`;
    let found = this.cache.get(sig);
    if (!found) {
      found = [...scanDefinition(kind, part, { server: s.name, otherTools: others.names }), ...scanMetadataUrls(part, s.origin)];
      if (kind === 'tool' && others.names.has(name)) {
        found.push({ category: 'shadowing', rule: 'shadowing.duplicate-name', severity: 'medium', path: '/name', excerpt: `also offered by ${offeredBy(name).join(', ')}` });
      }
      if (this.cache.size > MAX_CACHED) this.cache.clear();
      this.cache.set(sig, found);
    }
    const ignore = new Set(p.ignoreRules);
    return found.filter((f) => !ignore.has(f.rule) && p.actions[f.severity] !== 'allow');
  }
}
