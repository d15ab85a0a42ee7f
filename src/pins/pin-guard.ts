/**
 * The gateway's side of pinning: every list a server sends (tools, prompts, resources, resource
 * templates) and what it says about itself at `initialize` (instructions, serverInfo) is reviewed
 * here before a client sees it, and the server's launch before it is started.
 *
 * Each definition gets a verdict, from the pin files (pin-file.ts) and the scans (pin-scan.ts):
 *   pinned    its hash is the trusted one: listed and callable;
 *   flagged   pinned, with findings the policy flags: listed, audited;
 *   drifted   its hash changed since it was pinned (a rug pull): hidden and uncallable;
 *   pending   nothing trusts it yet (lockfile mode, or a name the lockfile does not know);
 *   revoked   the operator withdrew trust;
 *   blocked   a poisoning finding the policy blocks, and no operator approved this exact hash.
 * Hidden is opaque: `Gateway.decide` answers "not allowed" for it, so lists leave it out and a
 * call gets the same "Unknown tool" as a name that does not exist; the reason goes to the audit
 * record (pin-record.ts), and what was seen goes to the state file as `observed`, for
 * `portcullis pins diff|approve`. Hidden instructions are withheld (server-presentation.ts).
 *
 * Operators act through the pin stores (pin-store.ts: the files, or Redis shared by every
 * replica; the CLI needs no connection to a gateway): each gateway follows them (a file twice a
 * second, Redis on every published change), audits approvals and revocations it sees
 * (`pin_approved`, `pin_revoked`), re-decides, and tells its clients
 * `notifications/<kind>/list_changed` when visibility changed.
 *
 * Every write a verdict depends on (a first-use pin) completes before the verdict is made, so two
 * replicas seeing a server first agree on one trusted definition (pin-store.ts says how); a store
 * that cannot be written (Redis away) fails the list with STATE_UNAVAILABLE instead of trusting.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { GatewayError } from '../errors.ts';
import { StateFileError } from '../util/locked-json-file.ts';
import { instructionsDef, itemName, launchHash, legacyPart, PIN_VERSION, pinHash, pinnedPart, SERVER_ITEM, type ItemKind, type ListedKind, type PinKind } from './pin-definition.ts';
import { emptyPins, getEntry, setEntry, type Observed, type Pin, type PinFileData } from './pin-file.ts';
import { auditTrustChanges } from './pin-events.ts';
import { brief, PinRecorder, type Item, type PinState, type Verdict } from './pin-record.ts';
import { forClients, PinScanner } from './pin-scan.ts';
import type { PinStores } from './pin-store.ts';
import type { PinGuardOptions, PinnedServer } from './pinned-server.ts';
import { presentInit, type Presented, type ServerInit } from './server-presentation.ts';

export type { PinState, Verdict } from './pin-record.ts';

export type { PinGuardOptions, PinnedServer } from './pinned-server.ts';

type ListName = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
const KIND_OF: Record<ListName, ListedKind> = { tools: 'tool', prompts: 'prompt', resources: 'resource', resourceTemplates: 'resourceTemplate' };

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
  private readonly items = new Map<string, Map<ItemKind, Map<string, Item>>>();
  private readonly verdicts = new Map<string, Verdict>();
  private readonly launch = new Map<string, Verdict>();
  private readonly scanner = new PinScanner();
  private readonly recorder: PinRecorder;
  private readonly templates = new Map<string, UriTemplate | null>();
  /** The initialize result last reviewed per server, and what clients were shown of it. */
  private readonly inits = new Map<string, { init: ServerInit; trusted?: boolean; shown?: Presented }>();
  private readonly observedQueue: Array<{ key: string; kind: PinKind; name: string; want: Observed | undefined }> = [];
  /** Called with each listed kind whose visible set changed after an operator's decision. */
  onListChanged?: (kind: ListedKind) => void;

  private constructor(o: PinGuardOptions) {
    this.o = o;
    this.servers = new Map(o.servers.map((s) => [s.name, s]));
    this.recorder = new PinRecorder(o.audit, o.log);
  }

  /** A guard with the stored pins read (throws when they cannot be: never "no pins"). */
  static async open(o: PinGuardOptions): Promise<PinGuard> {
    const g = new PinGuard(o);
    try {
      await g.reload();
    } catch (err) {
      // Redis not reachable yet: start, and refuse what needs the pins until it is (a tofu write
      // fails; the incident state refuses calls); the watch reads them on reconnection. A pin
      // file or a stored document that does not parse stays an error at start.
      if (!(err instanceof GatewayError)) throw err;
      if (o.stores.state.corrupt) throw new StateFileError(o.stores.state.corrupt);
      o.log(`pins: ${err.detail ?? err.message}; lists that need the pins are refused until they can be read`);
    }
    return g;
  }

  get stores(): PinStores {
    return this.o.stores;
  }

  private get lockfileMode(): boolean {
    return this.o.stores.mode === 'lockfile';
  }

  private now(): string {
    return (this.o.clock?.() ?? new Date()).toISOString();
  }

  /** Reads the stores (throws on a corrupt one); true when the trusted pins changed. */
  private async reload(): Promise<boolean> {
    const before = this.trust;
    const [state, trust] = await Promise.all([this.o.stores.state.read(), this.lockfileMode ? this.o.stores.trust.read() : undefined]);
    this.state = state;
    this.trust = trust ?? state;
    return JSON.stringify(before.servers) !== JSON.stringify(this.trust.servers);
  }

  /**
   * Writes the pin state. A shared store that cannot answer (STATE_UNAVAILABLE) fails the caller:
   * nothing is trusted on a write that did not happen. Other failures (a full pin file) are logged,
   * and what could not be pinned stays untrusted (pending: hidden).
   */
  private async write(mutate: (d: PinFileData) => boolean | void): Promise<void> {
    try {
      this.state = await this.o.stores.state.update(mutate);
      if (!this.lockfileMode) this.trust = this.state;
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      this.o.log(`pins: ${(err as Error).message}`);
    }
  }

  /** Launch pin: undefined when the server may start; the hiding verdict otherwise. */
  async checkLaunch(server: string): Promise<Verdict | undefined> {
    const s = this.servers.get(server);
    if (!s?.launch || !s.settings.enabled) return undefined;
    const it = { part: s.launch, hash: launchHash(s.launch) };
    if (!this.lockfileMode && !getEntry(this.trust.servers, s.key, 'launch', SERVER_ITEM)) {
      await this.write((d) => {
        if (getEntry(d.servers, s.key, 'launch', SERVER_ITEM)) return false;
        setEntry(d.servers, s.key, 'launch', SERVER_ITEM, { hash: it.hash, def: it.part, pinnedAt: this.now(), origin: 'first-use', v: PIN_VERSION });
      });
    }
    const v = this.judge(s, 'launch', SERVER_ITEM, it, []);
    this.launch.set(server, v);
    this.record(s, 'launch', SERVER_ITEM, it, v);
    await this.flushObserved();
    return v.visible ? undefined : v;
  }

  /**
   * A fresh list from `server`: pin what is new (tofu), decide every definition again, and return
   * the list as clients may see it (icons that would leave the server's origin stripped).
   */
  async review(server: string, list: ListName, defs: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const s = this.servers.get(server);
    if (!s) return [...defs];
    const k = KIND_OF[list];
    const m = new Map<string, Item>();
    for (const def of defs) {
      const name = itemName(k, def);
      if (!name || m.has(name)) continue;
      const part = pinnedPart(k, def);
      m.set(name, { part, hash: pinHash(part) });
    }
    await this.reviewItems(s, k, m);
    return defs.map((d) => forClients(s, d));
  }

  /**
   * Whether `checkLaunch` and `reviewInit` have nothing to do for `server` with this `init` (no
   * launch pin to judge, the result already reviewed): the gateway then uses the server without
   * waiting on either (readyNow, gateway/server-runtime.ts). The conditions of their early returns.
   */
  settled(server: string, init: ServerInit): boolean {
    const s = this.servers.get(server);
    if (!s) return true;
    if (s.launch && s.settings.enabled) return false;
    return this.inits.get(server)?.init === init;
  }

  /**
   * Reviews (pins, scans) `server`'s initialize result, once per result: the gateway awaits it
   * when the server is ready, before any client is shown the result.
   */
  async reviewInit(server: string, init: ServerInit): Promise<void> {
    const s = this.servers.get(server);
    if (!s || this.inits.get(server)?.init === init) return;
    const part = pinnedPart('instructions', instructionsDef(init));
    await this.reviewItems(s, 'instructions', new Map([[SERVER_ITEM, { part, hash: pinHash(part) }]]));
    this.inits.set(server, { init });
  }

  /**
   * What clients may see of `server`'s initialize result: withheld while its pin is not trusted,
   * and while it has not been reviewed yet (a result the server sent since: reviewed now, shown
   * once that is done).
   */
  presentInit(server: string, init: ServerInit): Presented {
    const s = this.servers.get(server);
    if (!s) return { instructions: init.instructions, serverInfo: init.serverInfo };
    const seen = this.inits.get(server);
    if (seen?.init !== init) {
      this.reviewInit(server, init).catch((err: Error) => this.o.log(`pins: reviewing ${server}'s initialize result: ${err.message}`));
      return presentInit(s, init, false);
    }
    const trusted = this.verdicts.get(key(server, 'instructions', SERVER_ITEM))?.visible ?? false;
    if (seen.trusted !== trusted || !seen.shown) Object.assign(seen, { trusted, shown: presentInit(s, init, trusted) });
    return seen.shown!;
  }

  private async reviewItems(s: PinnedServer, k: ItemKind, m: Map<string, Item>): Promise<void> {
    let per = this.items.get(s.name);
    if (!per) this.items.set(s.name, (per = new Map()));
    // Names the server no longer lists lose their verdict (a server inventing names cannot grow it).
    for (const name of per.get(k)?.keys() ?? []) if (!m.has(name)) this.verdicts.delete(key(s.name, k, name));
    per.set(k, m);
    if (!this.lockfileMode && s.settings.enabled) await this.pinFirstUse(s, k, m);
    await this.evaluate();
  }

  /**
   * Tofu: what has no pin yet is trusted now. A pin from before icons and `_meta` were covered
   * (no `v`) whose covered fields still match is re-hashed over today's fields, once.
   */
  private async pinFirstUse(s: PinnedServer, k: ItemKind, m: Map<string, Item>): Promise<void> {
    const due = (t: Pin | undefined, it: Item) => {
      if (!t) return true;
      if (t.v !== undefined || t.revoked) return false;
      const legacy = legacyPart(k, it.part);
      return t.hash === it.hash || (legacy !== undefined && pinHash(legacy) === t.hash);
    };
    const todo = [...m].filter(([name, it]) => due(getEntry(this.trust.servers, s.key, k, name), it));
    if (!todo.length) return;
    const at = this.now();
    await this.write((d) => {
      let n = 0;
      for (const [name, it] of todo) {
        const t = getEntry(d.servers, s.key, k, name);
        if (!due(t, it)) continue;
        setEntry(d.servers, s.key, k, name, t ? { ...t, hash: it.hash, def: it.part, v: PIN_VERSION } : { hash: it.hash, def: it.part, pinnedAt: at, origin: 'first-use', v: PIN_VERSION });
        n++;
      }
      return n > 0;
    });
  }

  /** The pin decision for a tool, prompt or resource (by URI or template); undefined when pins allow it. */
  decide(kind: 'tool' | 'prompt' | 'resource', server: string, name: string): { allowed: false; rule: string; reason: string } | undefined {
    const l = this.launch.get(server);
    if (l && !l.visible) return { allowed: false, rule: `pin:launch-${l.state}`, reason: `server launch ${l.state}: ${HIDDEN_REASON[l.state] ?? ''}` };
    const v = kind === 'resource' ? (this.hidden(server, 'resource', name) ?? this.hidden(server, 'resourceTemplate', name) ?? this.hiddenTemplateFor(server, name)) : this.hidden(server, kind, name);
    if (!v) return undefined;
    const rules = v.findings.filter((f) => f.severity === 'high' || f.severity === 'critical').map((f) => f.rule);
    return { allowed: false, rule: `pin:${v.state}`, reason: `${HIDDEN_REASON[v.state] ?? v.state}${v.state === 'blocked' ? ` (${[...new Set(rules)].join(', ')})` : ''}` };
  }

  private hidden(server: string, kind: ItemKind, name: string): Verdict | undefined {
    const v = this.verdicts.get(key(server, kind, name));
    return v && !v.visible ? v : undefined;
  }

  /**
   * A resource read by URI is refused when the URI expands from a hidden template: hiding the
   * template from `resources/templates/list` alone would leave its resources readable.
   */
  private hiddenTemplateFor(server: string, uri: string): Verdict | undefined {
    for (const template of this.items.get(server)?.get('resourceTemplate')?.keys() ?? []) {
      const v = this.hidden(server, 'resourceTemplate', template);
      if (!v) continue;
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

  private judge(s: PinnedServer, kind: PinKind, name: string, it: Item, findings: Verdict['findings']): Verdict {
    if (!s.settings.enabled) return { visible: true, state: 'unpinned', findings };
    const trusted = getEntry(this.trust.servers, s.key, kind, name);
    const blocks = findings.some((f) => s.settings.poisoning.actions[f.severity] === 'block');
    const state: PinState = !trusted ? 'pending' : trusted.revoked ? 'revoked' : trusted.hash !== it.hash ? 'drifted' : blocks && trusted.origin !== 'operator' ? 'blocked' : findings.length ? 'flagged' : 'pinned';
    return { visible: state === 'pinned' || state === 'flagged', state, findings };
  }

  /** Decides every known definition again; audits what is new; keeps `observed` in step. */
  private async evaluate(): Promise<Set<ItemKind>> {
    const changed = new Set<ItemKind>();
    for (const [server, per] of this.items) {
      const s = this.servers.get(server)!;
      const others = this.otherTools(server);
      const offeredBy = (tool: string) => [...this.items].filter(([srv, p]) => srv !== server && p.get('tool')?.has(tool)).map(([srv]) => srv);
      for (const [kind, m] of per) {
        for (const [name, it] of m) {
          const v = this.judge(s, kind, name, it, this.scanner.findings(s, kind, name, it.part, it.hash, others, offeredBy));
          const k = key(server, kind, name);
          if ((this.verdicts.get(k)?.visible ?? true) !== v.visible) changed.add(kind);
          this.verdicts.set(k, v);
          this.record(s, kind, name, it, v);
        }
      }
    }
    await this.flushObserved();
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
    this.recorder.record(s, kind, name, it, v, getEntry(this.trust.servers, s.key, kind, name));
    const want: Observed | undefined = v.visible || v.state === 'unpinned' ? undefined : { hash: it.hash, def: it.part, seenAt: this.now(), state: v.state as Observed['state'], findings: brief(v.findings) };
    const have = getEntry(this.state.observed, s.key, kind, name);
    if (want?.hash === have?.hash && want?.state === have?.state) return;
    this.observedQueue.push({ key: s.key, kind, name, want });
  }

  /**
   * What `record` saw goes to the pin state in one write per list, not one per item. It is what
   * `pins diff` shows; the verdicts do not depend on it, so a failed write is logged, not thrown.
   */
  private async flushObserved(): Promise<void> {
    if (!this.observedQueue.length) return;
    const q = this.observedQueue.splice(0);
    await this.write((d) => {
      for (const o of q) setEntry(d.observed, o.key, o.kind, o.name, o.want);
    }).catch((err: Error) => this.o.log(`pins: observed definitions not recorded: ${err.message}`));
  }

  /** Follows the stores: approvals and revocations by `portcullis pins` take effect here. */
  watch(): void {
    const changed = () => void this.poll();
    this.o.stores.state.watch(changed);
    if (this.o.stores.trust !== this.o.stores.state) this.o.stores.trust.watch(changed);
  }

  /** Re-reads the stores; when trust changed, audits it and decides again. One at a time. */
  poll(): Promise<void> {
    this.polling ??= this.repoll().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private polling: Promise<void> | undefined;

  private async repoll(): Promise<void> {
    const before = this.trust;
    try {
      if (!(await this.reload())) return;
      auditTrustChanges(before, this.trust, this.o.servers, this.o.audit);
      // Tofu: a pin that vanished from the store (a deleted file, a Redis without persistence
      // restarted) is taken again from what is seen now, as at first use: trust starts over.
      if (!this.lockfileMode) {
        for (const [server, per] of this.items) {
          const s = this.servers.get(server)!;
          if (s.settings.enabled) for (const [k, m] of per) await this.pinFirstUse(s, k, m);
        }
      }
      for (const server of this.launch.keys()) await this.checkLaunch(server);
      // Instructions have no list_changed: a client gets the approved ones when it next initializes.
      for (const kind of await this.evaluate()) if (kind !== 'instructions') this.onListChanged?.(kind);
    } catch (err) {
      this.o.log(`pins: ${(err as Error).message} (keeping the pins in force)`);
    }
  }

  stop(): void {
    this.o.stores.close();
  }
}

const key = (server: string, kind: PinKind, name: string) => `${server}\u0000${kind}\u0000${name}`;
