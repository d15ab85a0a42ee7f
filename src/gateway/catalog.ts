/**
 * What one upstream offers: its tools, prompts, resources and resource templates, fetched with
 * pagination and cached until the server says `notifications/*\/list_changed` (a 2026-07-28
 * server: until its `ttlMs` runs out).
 *
 * Tool `inputSchema`/`outputSchema` validators are compiled once per list, lazily on first use,
 * and freed when the list is replaced (schema-validators.ts).
 */
import { GatewayError } from '../errors.ts';
import type { Params } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { ValidatorGeneration, type Validator } from './schema-validators.ts';

export type { Validator } from './schema-validators.ts';

export interface ToolDef {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface ToolEntry {
  def: ToolDef;
  input(): Validator;
  output(): Validator | undefined;
}

type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
const LIST_METHOD: Record<ListKind, string> = {
  tools: 'tools/list',
  prompts: 'prompts/list',
  resources: 'resources/list',
  resourceTemplates: 'resources/templates/list',
};
const CAPABILITY: Record<ListKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resources' };
const MAX_PAGES = 100;
/** The longest a 2026-07-28 server's list is kept when it names no shorter `ttlMs`. */
const MAX_TTL_MS = 5 * 60_000;

function toolEntry(def: ToolDef, gen: ValidatorGeneration): ToolEntry {
  let input: Validator | undefined;
  let output: Validator | null | undefined;
  return {
    def,
    input: () => (input ??= gen.compile(def.inputSchema ?? { type: 'object' }, 'inputSchema')),
    output: () => {
      if (output === undefined) output = def.outputSchema ? gen.compile(def.outputSchema, 'outputSchema') : null;
      return output ?? undefined;
    },
  };
}

export class Catalog {
  readonly upstream: Upstream;
  private tools?: Map<string, ToolEntry>;
  /** The validators of the current tools list (schema-validators.ts), freed when it is replaced. */
  private generation = new ValidatorGeneration();
  private lists: Partial<Record<Exclude<ListKind, 'tools'>, Record<string, unknown>[]>> = {};
  private inflight: Partial<Record<ListKind, Promise<unknown>>> = {};
  /**
   * Bumped by every invalidation: a list fetched across a change (a list_changed that overtook
   * its answer) is not cached, and is fetched again, so the change is never lost.
   */
  private epochs: Record<ListKind, number> = { tools: 0, prompts: 0, resources: 0, resourceTemplates: 0 };
  /**
   * A 2026-07-28 server sends no list_changed without a subscription: its lists are kept only as
   * long as its `ttlMs` says (SEP-2549 cache hints; 0 is "do not cache"), at most `MAX_TTL_MS`.
   */
  private expires: Partial<Record<ListKind, number>> = {};
  private readonly timeoutMs: number;
  /**
   * Sees every fresh list before it is cached (pinning and the poisoning scan, src/pins/), and may
   * return the list as clients are to see it (icons that would leave the server stripped).
   */
  private readonly review?: (kind: ListKind, items: readonly Record<string, unknown>[]) => Promise<readonly Record<string, unknown>[] | void> | readonly Record<string, unknown>[] | void;

  constructor(upstream: Upstream, timeoutMs: number, review?: Catalog['review']) {
    this.upstream = upstream;
    this.timeoutMs = timeoutMs;
    this.review = review;
  }

  /** Forget a list (on list_changed, or when the server restarts). */
  invalidate(kind?: ListKind): void {
    for (const k of kind ? [kind] : (Object.keys(this.epochs) as ListKind[])) {
      this.epochs[k]++;
      delete this.inflight[k];
    }
    if (!kind || kind === 'tools') {
      this.tools = undefined;
      this.generation.retire();
      this.generation = new ValidatorGeneration();
    }
    if (kind && kind !== 'tools') delete this.lists[kind];
    if (!kind) this.lists = {};
  }

  supports(kind: ListKind): boolean {
    return Boolean(this.upstream.init?.capabilities?.[CAPABILITY[kind]]);
  }

  /** Drop a list whose server's cache hint has run out. */
  private expire(kind: ListKind): void {
    const at = this.expires[kind];
    if (at !== undefined && Date.now() >= at) {
      delete this.expires[kind];
      this.invalidate(kind);
    }
  }

  async getTools(): Promise<Map<string, ToolEntry>> {
    this.expire('tools');
    if (this.tools) return this.tools;
    const { items, current } = await this.fresh('tools');
    const m = new Map<string, ToolEntry>();
    const gen = this.generation;
    for (const t of items as ToolDef[]) if (t && typeof t.name === 'string') m.set(t.name, toolEntry(t, gen));
    if (current()) this.tools = m;
    return m;
  }

  async getList(kind: Exclude<ListKind, 'tools'>): Promise<Record<string, unknown>[]> {
    this.expire(kind);
    const cached = this.lists[kind];
    if (cached) return cached;
    const { items, current } = await this.fresh(kind);
    const list = [...items];
    if (current()) this.lists[kind] = list;
    return list;
  }

  /**
   * The list as the server has it now, reviewed. One that changed while it was fetched or
   * reviewed is fetched again (a few times at most; the last answer is returned uncached).
   */
  private async fresh(kind: ListKind): Promise<{ items: readonly Record<string, unknown>[]; current: () => boolean }> {
    for (let attempt = 1; ; attempt++) {
      const epoch = this.epochs[kind];
      const fetched = await this.fetch(kind);
      const items = (await this.review?.(kind, fetched)) ?? fetched;
      const current = () => this.epochs[kind] === epoch;
      if (current() || attempt >= 3) return { items, current };
    }
  }

  private fetch(kind: ListKind): Promise<Record<string, unknown>[]> {
    // A server between starts has no capabilities to read: that is not an empty list, and is
    // never cached as one (a list_changed can arrive before its initialize finished).
    if (this.upstream.state !== 'ready' || !this.upstream.init) {
      return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.upstream.name}' is unavailable`, { detail: `${this.upstream.name} is ${this.upstream.state}` }));
    }
    if (!this.supports(kind)) return Promise.resolve([]);
    // Concurrent callers share one fetch.
    const p = (this.inflight[kind] ??= this.fetchPages(kind).finally(() => {
      if (this.inflight[kind] === p) delete this.inflight[kind];
    }));
    return p as Promise<Record<string, unknown>[]>;
  }

  private async fetchPages(kind: ListKind): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    const fetchedAt = Date.now();
    delete this.expires[kind];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Params | undefined = cursor ? { cursor } : undefined;
      const { msg } = await this.upstream.request(LIST_METHOD[kind], params, this.timeoutMs);
      if (msg.error) throw new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.upstream.name}' failed ${LIST_METHOD[kind]}`, { detail: msg.error.message });
      const items = (msg.result as Record<string, unknown>)[kind];
      if (!Array.isArray(items)) throw new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.upstream.name}' sent an invalid ${LIST_METHOD[kind]} result`);
      for (const it of items) if (it && typeof it === 'object') out.push(it as Record<string, unknown>);
      const ttl = (msg.result as Record<string, unknown>).ttlMs;
      if (this.upstream.modern) this.expires[kind] = Math.min(this.expires[kind] ?? Infinity, fetchedAt + (typeof ttl === 'number' && ttl >= 0 ? Math.min(ttl, MAX_TTL_MS) : MAX_TTL_MS));
      const next = (msg.result as Record<string, unknown>).nextCursor;
      if (typeof next !== 'string' || !next) return out;
      cursor = next;
    }
    return out;
  }
}
