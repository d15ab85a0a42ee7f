/**
 * What one upstream offers: its tools, prompts, resources and resource templates, fetched with
 * pagination and cached until the server says `notifications/*\/list_changed`.
 *
 * Tool `inputSchema`/`outputSchema` validators are compiled once per list, lazily on first use.
 * A schema that does not compile (or is absurdly large) yields a validator that refuses
 * everything: a server cannot switch validation off by sending a broken schema.
 */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import { GatewayError } from '../errors.ts';
import type { Params } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';

export interface ToolDef {
  name: string;
  description?: string;
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Validator {
  (value: unknown): boolean;
  errors?: string;
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
const MAX_SCHEMA_BYTES = 256 * 1024;

// MCP's default dialect is JSON Schema 2020-12 (2025-11-25); servers built on zod still declare
// draft-07, so each schema is compiled by the engine of the dialect it names.
const OPTIONS = { strict: false, allErrors: false, validateSchema: true, code: { optimize: 1 } } as const;
const ajv2020 = new Ajv2020(OPTIONS);
const ajv07 = new Ajv(OPTIONS);
(addFormats as unknown as (a: unknown) => void)(ajv2020);
(addFormats as unknown as (a: unknown) => void)(ajv07);

function engineFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  return /draft-0[4-7]/.test(dialect) ? ajv07 : ajv2020;
}

function compile(schema: unknown, what: string): Validator {
  let fn: ValidateFunction;
  try {
    if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) throw new Error(`schema over ${MAX_SCHEMA_BYTES} bytes`);
    // Each tool gets its own compile; `$id`s from servers must not collide in the shared cache.
    const { $id: _ignored, $schema: _dialect, ...rest } = (schema ?? {}) as Record<string, unknown>;
    const ajv = engineFor(schema as Record<string, unknown>);
    fn = ajv.compile(rest);
  } catch (err) {
    const v: Validator = () => false;
    v.errors = `the server's ${what} does not compile: ${(err as Error).message}`;
    return v;
  }
  const ajv = engineFor(schema as Record<string, unknown>);
  const v: Validator = (value) => {
    const ok = fn(value) as boolean;
    v.errors = ok ? undefined : ajv.errorsText(fn.errors, { dataVar: 'arguments' });
    return ok;
  };
  return v;
}

function toolEntry(def: ToolDef): ToolEntry {
  let input: Validator | undefined;
  let output: Validator | null | undefined;
  return {
    def,
    input: () => (input ??= compile(def.inputSchema ?? { type: 'object' }, 'inputSchema')),
    output: () => {
      if (output === undefined) output = def.outputSchema ? compile(def.outputSchema, 'outputSchema') : null;
      return output ?? undefined;
    },
  };
}

export class Catalog {
  readonly upstream: Upstream;
  private tools?: Map<string, ToolEntry>;
  private lists: Partial<Record<Exclude<ListKind, 'tools'>, Record<string, unknown>[]>> = {};
  private inflight: Partial<Record<ListKind, Promise<unknown>>> = {};
  private readonly timeoutMs: number;
  /**
   * Sees every fresh list before it is cached (pinning and the poisoning scan, src/pins/), and may
   * return the list as clients are to see it (icons that would leave the server stripped).
   */
  private readonly review?: (kind: ListKind, items: readonly Record<string, unknown>[]) => readonly Record<string, unknown>[] | void;

  constructor(upstream: Upstream, timeoutMs: number, review?: Catalog['review']) {
    this.upstream = upstream;
    this.timeoutMs = timeoutMs;
    this.review = review;
  }

  /** Forget a list (on list_changed, or when the server restarts). */
  invalidate(kind?: ListKind): void {
    if (!kind || kind === 'tools') this.tools = undefined;
    if (kind && kind !== 'tools') delete this.lists[kind];
    if (!kind) this.lists = {};
  }

  supports(kind: ListKind): boolean {
    return Boolean(this.upstream.init?.capabilities?.[CAPABILITY[kind]]);
  }

  async getTools(): Promise<Map<string, ToolEntry>> {
    if (this.tools) return this.tools;
    const fetched = await this.fetch('tools');
    const items = this.review?.('tools', fetched) ?? fetched;
    const m = new Map<string, ToolEntry>();
    for (const t of items as ToolDef[]) if (t && typeof t.name === 'string') m.set(t.name, toolEntry(t));
    this.tools = m;
    return m;
  }

  async getList(kind: Exclude<ListKind, 'tools'>): Promise<Record<string, unknown>[]> {
    const cached = this.lists[kind];
    if (cached) return cached;
    const fetched = await this.fetch(kind);
    const items = [...(this.review?.(kind, fetched) ?? fetched)];
    this.lists[kind] = items;
    return items;
  }

  private fetch(kind: ListKind): Promise<Record<string, unknown>[]> {
    if (!this.supports(kind)) return Promise.resolve([]);
    // Concurrent callers share one fetch.
    const p = (this.inflight[kind] ??= this.fetchPages(kind).finally(() => delete this.inflight[kind]));
    return p as Promise<Record<string, unknown>[]>;
  }

  private async fetchPages(kind: ListKind): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Params | undefined = cursor ? { cursor } : undefined;
      const { msg } = await this.upstream.request(LIST_METHOD[kind], params, this.timeoutMs);
      if (msg.error) throw new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.upstream.name}' failed ${LIST_METHOD[kind]}`, { detail: msg.error.message });
      const items = (msg.result as Record<string, unknown>)[kind];
      if (!Array.isArray(items)) throw new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.upstream.name}' sent an invalid ${LIST_METHOD[kind]} result`);
      for (const it of items) if (it && typeof it === 'object') out.push(it as Record<string, unknown>);
      const next = (msg.result as Record<string, unknown>).nextCursor;
      if (typeof next !== 'string' || !next) return out;
      cursor = next;
    }
    return out;
  }
}
