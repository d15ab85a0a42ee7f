/**
 * One server's view of a multi-server gateway, for the SDK client that talks to that server only.
 *
 * The gateway exposes `<server>__<name>` and `<server>+<uri>` when it fronts several servers
 * (gateway/namespacing.ts); the wrapped client knows its server's own names. Requests get the
 * prefix on the way in, answers lose it on the way out, and lists keep only this server's items
 * (the gateway filtered them by policy already: nothing is decided here). With one server the
 * gateway does not prefix, and this view passes messages through untouched.
 */
import { mapResultUris } from '../gateway/expose-uris.ts';
import type { Namespacer } from '../gateway/namespacing.ts';

type Msg = { id?: unknown; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown>; error?: unknown };

const LISTS: Record<string, { field: string; key: 'name' | 'uri' | 'uriTemplate' }> = {
  'tools/list': { field: 'tools', key: 'name' },
  'prompts/list': { field: 'prompts', key: 'name' },
  'resources/list': { field: 'resources', key: 'uri' },
  'resources/templates/list': { field: 'resourceTemplates', key: 'uriTemplate' },
};

export class ServerView {
  private readonly ns: Namespacer;
  private readonly server: string;

  constructor(ns: Namespacer, server: string) {
    this.ns = ns;
    this.server = server;
  }

  private own(exposed: string, kind: 'name' | 'uri'): string | undefined {
    const split = kind === 'name' ? this.ns.splitName(exposed) : this.ns.splitUri(exposed);
    if (!split || split.server !== this.server) return undefined;
    return 'name' in split ? split.name : split.uri;
  }

  /** A message from the client to the gateway. */
  outbound(msg: Msg): Msg {
    if (!this.ns.enabled || !msg.method || !msg.params) return msg;
    const p = { ...msg.params };
    const name = (n: unknown) => (typeof n === 'string' ? this.ns.exposeName(this.server, n) : n);
    const uri = (u: unknown) => (typeof u === 'string' ? this.ns.exposeUri(this.server, u) : u);
    switch (msg.method) {
      case 'tools/call':
      case 'prompts/get':
        p.name = name(p.name);
        break;
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        p.uri = uri(p.uri);
        break;
      case 'completion/complete': {
        const ref = p.ref as { type?: string; name?: unknown; uri?: unknown } | undefined;
        if (ref?.type === 'ref/prompt') p.ref = { ...ref, name: name(ref.name) };
        else if (ref?.type === 'ref/resource') p.ref = { ...ref, uri: uri(ref.uri) };
        break;
      }
      default:
        return msg;
    }
    return { ...msg, params: p };
  }

  /** A message from the gateway to the client; `method` is the request a response answers. */
  inbound(msg: Msg, method?: string): Msg {
    if (!this.ns.enabled) return msg;
    if (msg.method === 'notifications/resources/updated' && typeof msg.params?.uri === 'string') {
      return { ...msg, params: { ...msg.params, uri: this.own(msg.params.uri, 'uri') ?? msg.params.uri } };
    }
    const result = msg.result;
    if (!method || !result || typeof result !== 'object') return msg;
    const list = LISTS[method];
    if (list) {
      const kind = list.key === 'name' ? 'name' : 'uri';
      const items = Array.isArray(result[list.field]) ? (result[list.field] as Record<string, unknown>[]) : [];
      const mine = items.flatMap((item) => {
        const local = typeof item?.[list.key] === 'string' ? this.own(item[list.key] as string, kind) : undefined;
        return local === undefined ? [] : [{ ...item, [list.key]: local }];
      });
      return { ...msg, result: { ...result, [list.field]: mine } };
    }
    const copy = structuredClone(result);
    mapResultUris(copy, (u) => this.own(u, 'uri') ?? u);
    return { ...msg, result: copy };
  }
}
