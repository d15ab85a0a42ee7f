/**
 * The gateway's side of pinning: every list a server sends (tools, prompts, resource templates)
 * is reviewed here before a client sees it, and the server's launch before it is started.
 *
 * Each definition gets a verdict, from the pin files (pin-file.ts) and the poisoning scan:
 *   pinned    its hash is the trusted one: listed and callable;
 *   flagged   pinned, with findings the policy flags: listed, audited;
 *   drifted   its hash changed since it was pinned (a rug pull): hidden and uncallable;
 *   pending   nothing trusts it yet (lockfile mode, or a name the lockfile does not know);
 *   revoked   the operator withdrew trust;
 *   blocked   a poisoning finding the policy blocks, and no operator approved this exact hash.
 * Hidden is opaque: `Gateway.decide` answers "not allowed" for it, so lists leave it out and a
 * call gets the same "Unknown tool" as a name that does not exist; the reason goes to the audit
 * record (`pin_drift`, `tool_poisoning_detected`, `tool_shadowing`), and what was seen goes to
 * the state file as `observed`, for `portcullis pins diff|approve`.
 *
 * Operators act through the files (the CLI needs no connection to a gateway): each gateway polls
 * them twice a second, audits approvals and revocations it sees (`pin_approved`, `pin_revoked`),
 * re-decides, and tells its clients `notifications/<kind>/list_changed` when visibility changed.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { AuditLog } from '../audit/audit-log.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { Pinning } from '../config/pinning-schema.ts';
import { scanDefinition } from '../detect/poisoning.ts';
import { maxSeverity, type Finding } from '../detect/finding.ts';
import { fileIdentity } from '../util/locked-json-file.ts';
import { itemName, LAUNCH, pinHash, pinnedPart, type PinKind } from './pin-definition.ts';
import { emptyPins, getEntry, readPinFile, setEntry, updatePinFile, type Observed, type PinFileData } from './pin-file.ts';
import { auditTrustChanges } from './pin-events.ts';

type ItemKind = Exclude<PinKind, 'launch'>;
export type PinState = 'pinned' | 'flagged' | 'drifted' | 'pending' | 'revoked' | 'blocked' | 'unpinned';

export interface Verdict {
  visible: boolean;
  state: PinState;
  findings: Finding[];
}

export interface PinnedServer {
  name: string;
  /** The key in the pin files: the name, or `name@<launch hash>` for an unnamed wrapped server. */
  key: string;
  /** The launch to pin, when launch pinning applies to this server. */
  launch?: Record<string, unknown>;
  settings: Pinning;
}

export interface PinGuardOptions {
  servers: PinnedServer[];
  mode: Pinning['mode'];
  stateFile: string;
  lockfile: string;
  audit: AuditLog;
  log: (line: string) => void;
  clock?: () => Date;
}

interface Item {
  part: Record<string, unknown>;
  hash: string;
}

const HIDDEN_REASON: Partial<Record<PinState, string>> = {
  drifted: 'its definition changed since it was pinned; hidden until an operator approves it (portcullis pins approve)',
  pending: 'not pinned by the lockfile; hidden until an operator approves it',
  revoked: 'trust revoked by an operator',
  blocked: 'blocked by the poisoning scan; hidden until an operator approves it',
};

export class PinGuard {
  private readonly o: PinGuardOptions;
  private readonly servers: Map<string, PinnedServer>;
  private state: PinFileData = emptyPins();
  private trust: PinFileData = emptyPins();
  private seen = { state: '', lock: '' };
  private readonly items = new Map<string, Map<ItemKind, Map<string, Item>>>();
  private readonly verdicts = new Map<string, Verdict>();
  private readonly launch = new Map<string, Verdict>();
  private readonly scans = new Map<string, Finding[]>();
  private readonly audited = new Set<string>();
  private readonly templates = new Map<string, UriTemplate | null>();
  private readonly observedQueue: Array<{ key: string; kind: PinKind; name: string; want: Observed | undefined }> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Called with each kind whose visible set changed after an operator's decision. */
  onListChanged?: (kind: ItemKind) => void;

  constructor(o: PinGuardOptions) {
    this.o = o;
    this.servers = new Map(o.servers.map((s) => [s.name, s]));
    this.reload();
  }

  private now(): string {
    return (this.o.clock?.() ?? new Date()).toISOString();
  }

  /** Reads the files (throws on a corrupt one); true when the trusted pins changed. */
  private reload(): boolean {
    this.seen = { state: fileIdentity(this.o.stateFile), lock: this.o.mode === 'lockfile' ? fileIdentity(this.o.lockfile) : '' };
    const before = this.trust;
    this.state = readPinFile(this.o.stateFile);
    this.trust = this.o.mode === 'lockfile' ? readPinFile(this.o.lockfile) : this.state;
    return JSON.stringify(before.servers) !== JSON.stringify(this.trust.servers);
  }

  private write(mutate: (d: PinFileData) => boolean | void): void {
    try {
      this.state = updatePinFile(this.o.stateFile, mutate);
      if (this.o.mode !== 'lockfile') this.trust = this.state;
      this.seen.state = fileIdentity(this.o.stateFile);
    } catch (err) {
      this.o.log(`pins: ${(err as Error).message}`);
    }
  }

  /** Launch pin: undefined when the server may start; the hiding verdict otherwise. */
  checkLaunch(server: string): Verdict | undefined {
    const s = this.servers.get(server);
    if (!s?.launch || !s.settings.enabled) return undefined;
    const hash = pinHash(s.launch);
    if (this.o.mode === 'tofu' && !getEntry(this.trust.servers, s.key, 'launch', LAUNCH)) {
      this.write((d) => {
        if (getEntry(d.servers, s.key, 'launch', LAUNCH)) return false;
        setEntry(d.servers, s.key, 'launch', LAUNCH, { hash, def: s.launch!, pinnedAt: this.now(), origin: 'first-use' });
      });
    }
    const v = this.judge(s, 'launch', LAUNCH, { part: s.launch, hash }, []);
    this.launch.set(server, v);
    this.record(s, 'launch', LAUNCH, { part: s.launch, hash }, v);
    this.flushObserved();
    return v.visible ? undefined : v;
  }

  /** A fresh list from `server`: pin what is new (tofu), then decide every definition again. */
  review(server: string, kind: 'tools' | 'prompts' | 'resourceTemplates', defs: readonly Record<string, unknown>[]): void {
    const s = this.servers.get(server);
    if (!s) return;
    const k: ItemKind = kind === 'tools' ? 'tool' : kind === 'prompts' ? 'prompt' : 'resourceTemplate';
    const m = new Map<string, Item>();
    for (const def of defs) {
      const name = itemName(k, def);
      if (!name || m.has(name)) continue;
      const part = pinnedPart(k, def);
      m.set(name, { part, hash: pinHash(part) });
    }
    let per = this.items.get(server);
    if (!per) this.items.set(server, (per = new Map()));
    // Names the server no longer lists lose their verdict (a server inventing names cannot grow it).
    for (const name of per.get(k)?.keys() ?? []) if (!m.has(name)) this.verdicts.delete(key(server, k, name));
    per.set(k, m);
    const fresh = [...m].filter(([name]) => !getEntry(this.trust.servers, s.key, k, name));
    if (this.o.mode === 'tofu' && s.settings.enabled && fresh.length) {
      const at = this.now();
      this.write((d) => {
        let n = 0;
        for (const [name, it] of fresh) {
          if (getEntry(d.servers, s.key, k, name)) continue;
          setEntry(d.servers, s.key, k, name, { hash: it.hash, def: it.part, pinnedAt: at, origin: 'first-use' });
          n++;
        }
        return n > 0;
      });
    }
    this.evaluate();
  }

  /** The pin decision for a tool, prompt or resource template; undefined when pins allow it. */
  decide(kind: 'tool' | 'prompt' | 'resource', server: string, name: string): { allowed: false; rule: string; reason: string } | undefined {
    const l = this.launch.get(server);
    if (l && !l.visible) return { allowed: false, rule: `pin:launch-${l.state}`, reason: `server launch ${l.state}: ${HIDDEN_REASON[l.state] ?? ''}` };
    const v = this.verdicts.get(key(server, kind === 'resource' ? 'resourceTemplate' : kind, name)) ?? (kind === 'resource' ? this.hiddenTemplateFor(server, name) : undefined);
    if (!v || v.visible) return undefined;
    const rules = v.findings.filter((f) => f.severity === 'high' || f.severity === 'critical').map((f) => f.rule);
    return { allowed: false, rule: `pin:${v.state}`, reason: `${HIDDEN_REASON[v.state] ?? v.state}${v.state === 'blocked' ? ` (${[...new Set(rules)].join(', ')})` : ''}` };
  }

  /**
   * A resource read by URI is refused when the URI expands from a hidden template: hiding the
   * template from `resources/templates/list` alone would leave its resources readable.
   */
  private hiddenTemplateFor(server: string, uri: string): Verdict | undefined {
    for (const template of this.items.get(server)?.get('resourceTemplate')?.keys() ?? []) {
      const v = this.verdicts.get(key(server, 'resourceTemplate', template));
      if (!v || v.visible) continue;
      let t = this.templates.get(template);
      if (t === undefined) {
        try {
          t = new UriTemplate(template);
        } catch {
          t = null; // a template the SDK cannot parse matches nothing (it is hidden anyway)
        }
        if (this.templates.size > 5000) this.templates.clear(); // a server renaming templates forever cannot grow it
        this.templates.set(template, t);
      }
      if (t?.match(uri)) return v;
    }
    return undefined;
  }

  /** Verdicts as the gateway holds them (for tests and `pins list` of a live process). */
  verdict(server: string, kind: PinKind, name: string): Verdict | undefined {
    return kind === 'launch' ? this.launch.get(server) : this.verdicts.get(key(server, kind, name));
  }

  private findingsFor(s: PinnedServer, kind: ItemKind, name: string, it: Item, other: { names: Set<string>; sig: string }): Finding[] {
    const p = s.settings.poisoning;
    if (!p.enabled) return [];
    const others = other.names;
    const sig = `${s.name}\u0000${kind}\u0000${it.hash}\u0000${other.sig}`;
    let found = this.scans.get(sig);
    if (!found) {
      found = scanDefinition(kind, it.part, { server: s.name, otherTools: others });
      if (kind === 'tool' && others.has(name)) {
        const where = [...this.items].filter(([srv, per]) => srv !== s.name && per.get('tool')?.has(name)).map(([srv]) => srv);
        found.push({ category: 'shadowing', rule: 'shadowing.duplicate-name', severity: 'medium', path: '/name', excerpt: `also offered by ${where.join(', ')}` });
      }
      if (this.scans.size > 5000) this.scans.clear();
      this.scans.set(sig, found);
    }
    const ignore = new Set(p.ignoreRules);
    return found.filter((f) => !ignore.has(f.rule) && p.actions[f.severity] !== 'allow');
  }

  private judge(s: PinnedServer, kind: PinKind, name: string, it: Item, findings: Finding[]): Verdict {
    if (!s.settings.enabled) return { visible: true, state: 'unpinned', findings };
    const trusted = getEntry(this.trust.servers, s.key, kind, name);
    const blocks = findings.some((f) => s.settings.poisoning.actions[f.severity] === 'block');
    const state: PinState = !trusted ? 'pending' : trusted.revoked ? 'revoked' : trusted.hash !== it.hash ? 'drifted' : blocks && trusted.origin !== 'operator' ? 'blocked' : findings.length ? 'flagged' : 'pinned';
    return { visible: state === 'pinned' || state === 'flagged', state, findings };
  }

  /** Decides every known definition again; audits what is new; keeps `observed` in step. */
  private evaluate(): Set<ItemKind> {
    const changed = new Set<ItemKind>();
    for (const [server, per] of this.items) {
      const s = this.servers.get(server)!;
      const others = this.otherTools(server);
      for (const [kind, m] of per) {
        for (const [name, it] of m) {
          const v = this.judge(s, kind, name, it, this.findingsFor(s, kind, name, it, others));
          const k = key(server, kind, name);
          if ((this.verdicts.get(k)?.visible ?? true) !== v.visible) changed.add(kind);
          this.verdicts.set(k, v);
          this.record(s, kind, name, it, v);
        }
      }
    }
    this.flushObserved();
    return changed;
  }

  /** The tool names of every other server, and a key for them (the scan cache's), once per server. */
  private otherTools(server: string): { names: Set<string>; sig: string } {
    const names = new Set<string>();
    for (const [srv, per] of this.items) if (srv !== server) for (const n of per.get('tool')?.keys() ?? []) names.add(n);
    return { names, sig: [...names].sort().join(',') };
  }

  /** Audit (once per definition hash) and the `observed` entry of one verdict. */
  private record(s: PinnedServer, kind: PinKind, name: string, it: Item, v: Verdict): void {
    const tool = kind === 'launch' ? undefined : name;
    const once = (event: string) => {
      const id = `${event}\u0000${s.key}\u0000${kind}\u0000${name}\u0000${it.hash}\u0000${v.state}`;
      if (this.audited.has(id)) return false;
      if (this.audited.size > 10_000) this.audited.clear(); // bounded; at worst a definition is audited again
      this.audited.add(id);
      return true;
    };
    if (v.state === 'drifted' && once('pin_drift')) {
      const pinned = getEntry(this.trust.servers, s.key, kind, name)!;
      this.o.log(`pins: ${kind} '${name}' of server '${s.name}' changed since it was pinned: hidden until approved (portcullis pins diff ${s.key}${kind === 'launch' ? '' : `__${name}`})`);
      this.o.audit.emit({ event: 'pin_drift', server: s.name, tool, decision: 'deny', reason: `${kind} definition changed since it was pinned; hidden until approved`, detail: { kind, key: s.key, pinned: pinned.hash, observed: it.hash, changed: changedFields(pinned.def, it.part) } });
    }
    const shadow = v.findings.filter((f) => f.category === 'shadowing');
    const poison = v.findings.filter((f) => f.category !== 'shadowing');
    const brief = (fs: Finding[]) => fs.slice(0, 20).map((f) => ({ category: f.category, rule: f.rule, severity: f.severity, path: f.path, excerpt: f.excerpt }));
    const action = (fs: Finding[]) => (fs.some((f) => s.settings.poisoning.actions[f.severity] === 'block') ? (v.state === 'blocked' ? 'block' : 'approved') : 'flag');
    if (poison.length && once('tool_poisoning_detected')) {
      this.o.audit.emit({ event: 'tool_poisoning_detected', server: s.name, tool, decision: v.visible ? 'allow' : 'deny', reason: `${poison.length} poisoning finding(s) in ${kind} '${name}', worst ${maxSeverity(poison)}: ${action(poison)}`, severity: maxSeverity(poison), detail: { kind, key: s.key, action: action(poison), findings: brief(poison), hash: it.hash } });
    }
    if (shadow.length && once('tool_shadowing')) {
      this.o.audit.emit({ event: 'tool_shadowing', server: s.name, tool, decision: v.visible ? 'allow' : 'deny', reason: `${kind} '${name}' shadows or names another server's tool: ${action(shadow)}`, severity: maxSeverity(shadow), detail: { kind, key: s.key, action: action(shadow), findings: brief(shadow) } });
    }
    const want: Observed | undefined = v.visible || v.state === 'unpinned' ? undefined : { hash: it.hash, def: it.part, seenAt: this.now(), state: v.state as Observed['state'], findings: brief(v.findings) };
    const have = getEntry(this.state.observed, s.key, kind, name);
    if (want?.hash === have?.hash && want?.state === have?.state) return;
    this.observedQueue.push({ key: s.key, kind, name, want });
  }

  /** What `record` saw goes to the state file in one locked write per list, not one per item. */
  private flushObserved(): void {
    if (!this.observedQueue.length) return;
    const q = this.observedQueue.splice(0);
    this.write((d) => {
      for (const o of q) setEntry(d.observed, o.key, o.kind, o.name, o.want);
    });
  }

  /** Follows the files: approvals and revocations by `portcullis pins` take effect here. */
  watch(intervalMs = 500): void {
    this.timer = setInterval(() => this.poll(), intervalMs).unref();
  }

  poll(): void {
    const ids = { state: fileIdentity(this.o.stateFile), lock: this.o.mode === 'lockfile' ? fileIdentity(this.o.lockfile) : '' };
    if (ids.state === this.seen.state && ids.lock === this.seen.lock) return;
    const before = this.trust;
    try {
      if (!this.reload()) return;
    } catch (err) {
      this.o.log(`pins: ${(err as Error).message} (keeping the pins in force)`);
      return;
    }
    auditTrustChanges(before, this.trust, this.o.servers, this.o.audit);
    for (const server of this.launch.keys()) this.checkLaunch(server);
    for (const kind of this.evaluate()) this.onListChanged?.(kind);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const key = (server: string, kind: PinKind, name: string) => `${server}\u0000${kind}\u0000${name}`;


/** Top-level fields that differ (the audit says what changed; `pins diff` shows how). */
export function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).sort();
}
