/**
 * The methods the gateway answers itself. Lists are aggregated over all servers and filtered by
 * `Gateway.decide` — the same decision `authorize` applies to calls — then namespaced.
 */
import { GatewayError } from '../errors.ts';
import type { CallContext } from '../pipeline/types.ts';
import { META, MODERN_VERSIONS, negotiateLegacy } from '../protocol/revisions.ts';
import { MAX_LISTENERS, type ListenFilter } from './listeners.ts';
import type { Gateway } from './gateway.ts';
import type { InitializeResult } from '../upstream/upstream.ts';

export type LocalHandler = (ctx: CallContext) => Promise<Record<string, unknown>>;

type Runtime = (Gateway['servers'] extends Map<string, infer R> ? R : never) & { init: InitializeResult };

/**
 * Servers that are up, each with the initialize result it started with (captured here: the
 * server may go down again while the list is built). One that cannot start is left out of
 * lists rather than failing them.
 */
async function readyServers(gw: Gateway): Promise<Runtime[]> {
  const all = [...gw.servers.values()];
  const settled = await Promise.allSettled(all.map((rt) => gw.ready(rt).then((r) => ({ ...r, init: r.upstream.init! }))));
  return settled.flatMap((r) => (r.status === 'fulfilled' && r.value.init ? [r.value] : []));
}

/** A server that went down after `readyServers` saw it up is left out of the list the same way. */
function unlessDown<T>(empty: T): (err: unknown) => T {
  return (err) => {
    if (err instanceof GatewayError && err.code === 'UPSTREAM_UNAVAILABLE') return empty;
    throw err;
  };
}

function mergedCapabilities(gw: Gateway, servers: Runtime[]): Record<string, unknown> {
  if (gw.servers.size === 1 && servers.length === 1) return { ...servers[0].init.capabilities };
  const caps: Record<string, unknown> = {};
  for (const rt of servers) {
    const c = rt.init.capabilities as Record<string, Record<string, unknown> | undefined>;
    if (c.tools) caps.tools = { listChanged: true };
    if (c.prompts) caps.prompts = { listChanged: true };
    if (c.resources) caps.resources = { listChanged: true, subscribe: Boolean((caps.resources as { subscribe?: boolean })?.subscribe || c.resources.subscribe) };
    if (c.logging) caps.logging = {};
    if (c.completions) caps.completions = {};
  }
  return caps;
}

/**
 * The servers' instructions for the client's model. With pins, each server's are reviewed like a
 * tool definition and withheld while their pin is not trusted (src/pins/server-presentation.ts).
 */
function instructions(gw: Gateway, servers: Runtime[]): string | undefined {
  const each = servers.map((rt) => ({ name: rt.server.name, text: gw.pins ? gw.pins.presentInit(rt.server.name, rt.init).instructions : rt.init.instructions }));
  const parts = each.filter((x): x is { name: string; text: string } => typeof x.text === 'string' && x.text.length > 0);
  if (!parts.length) return undefined;
  return servers.length === 1 ? parts[0].text : parts.map((x) => `[${x.name}] ${x.text}`).join('\n\n');
}

export function buildLocalHandlers(gw: Gateway): Map<string, LocalHandler> {
  const h = new Map<string, LocalHandler>();

  h.set('initialize', async (ctx) => {
    const p = ctx.req.params ?? {};
    const s = ctx.session;
    s.protocolVersion = negotiateLegacy(p.protocolVersion);
    s.clientCapabilities = (p.capabilities as Record<string, unknown>) ?? {};
    s.clientInfo = p.clientInfo as typeof s.clientInfo;
    gw.setWrapInit(p);
    const servers = await readyServers(gw);
    if (!servers.length && gw.servers.size) throw new GatewayError('UPSTREAM_UNAVAILABLE', 'No server is available');
    const wasInitialized = s.initialized;
    s.initialized = true;
    if (!wasInitialized) {
      gw.audit.emit({
        event: 'connection_established',
        session: s.id,
        connection: s.connection,
        principal: s.principal.subject,
        authMethod: s.principal.method,
        detail: { protocolVersion: s.protocolVersion, client: s.clientInfo?.name, clientVersion: s.clientInfo?.version, ...(s.tls && { tls: s.tls }) },
      });
    }
    const result: Record<string, unknown> = {
      protocolVersion: s.protocolVersion,
      capabilities: mergedCapabilities(gw, servers),
      serverInfo: gw.serverInfo(),
    };
    const instr = instructions(gw, servers);
    if (instr) result.instructions = instr;
    return result;
  });

  h.set('ping', async () => ({}));

  h.set('server/discover', async () => {
    const servers = await readyServers(gw);
    const result: Record<string, unknown> = { supportedVersions: [...MODERN_VERSIONS], capabilities: modernCapabilities(mergedCapabilities(gw, servers)) };
    const instr = instructions(gw, servers);
    if (instr) result.instructions = instr;
    return result;
  });

  h.set('tools/list', async (ctx) => {
    const tools: Record<string, unknown>[] = [];
    for (const rt of await readyServers(gw)) {
      for (const [name, entry] of await rt.catalog.getTools().catch(unlessDown(new Map()))) {
        if (!gw.decide('tool', rt.server.name, name, ctx.session.principal).allowed) continue;
        tools.push({ ...entry.def, name: gw.namespacer.exposeName(rt.server.name, name) });
      }
    }
    return { tools };
  });

  /** One filtered, namespaced list over every server that is up. */
  const list = (kind: 'prompts' | 'resources' | 'resourceTemplates', field: 'name' | 'uri' | 'uriTemplate') => async (ctx: CallContext) => {
    const out: Record<string, unknown>[] = [];
    for (const rt of await readyServers(gw)) {
      for (const item of await rt.catalog.getList(kind).catch(unlessDown([]))) {
        const key = String(item[field]);
        const isName = field === 'name';
        if (!gw.decide(isName ? 'prompt' : 'resource', rt.server.name, key, ctx.session.principal).allowed) continue;
        out.push({ ...item, [field]: isName ? gw.namespacer.exposeName(rt.server.name, key) : gw.namespacer.exposeUri(rt.server.name, key) });
      }
    }
    return { [kind]: out };
  };
  h.set('prompts/list', list('prompts', 'name'));
  h.set('resources/list', list('resources', 'uri'));
  h.set('resources/templates/list', list('resourceTemplates', 'uriTemplate'));

  h.set('subscriptions/listen', async (ctx) => {
    if (gw.listeners.size >= MAX_LISTENERS) throw new GatewayError('INTERNAL', 'Subscription limit reached');
    const want = (ctx.req.params?.notifications ?? {}) as ListenFilter;
    const servers = await readyServers(gw);
    const caps = mergedCapabilities(gw, servers) as Record<string, { listChanged?: boolean; subscribe?: boolean } | undefined>;
    const honored: ListenFilter = {};
    if (want.toolsListChanged && caps.tools?.listChanged) honored.toolsListChanged = true;
    if (want.promptsListChanged && caps.prompts?.listChanged) honored.promptsListChanged = true;
    if (want.resourcesListChanged && caps.resources?.listChanged) honored.resourcesListChanged = true;
    if (want.resourceSubscriptions?.length && caps.resources?.subscribe) {
      const uris: string[] = [];
      for (const uri of want.resourceSubscriptions.slice(0, 256)) {
        const t = await gw.resolveUri(uri);
        if (!t || !gw.decide('resource', t.server.name, t.uri, ctx.session.principal).allowed) continue;
        // The shared server is subscribed once; the gateway fans updates out to listeners.
        const ok = await t.upstream.request('resources/subscribe', { uri: t.uri }, gw.timeoutMs(t.server)).then((r) => !r.msg.error, () => false);
        if (ok) uris.push(uri);
      }
      if (uris.length) honored.resourceSubscriptions = uris;
    }
    if (Object.keys(honored).length) await gw.listeners.add(ctx.session, ctx.req.id, honored);
    return { _meta: { [META.subscriptionId]: ctx.req.id } };
  });

  h.set('logging/setLevel', async (ctx) => {
    ctx.session.logLevel = String(ctx.req.params?.level);
    // A shared server's level is not one client's to set: in run mode the gateway filters per
    // session instead. In wrap mode the one client owns its server and the level passes through.
    if (gw.mode !== 'wrap') return {};
    for (const rt of await readyServers(gw)) {
      // 2026-07-28 has no logging/setLevel (the level travels in each request's _meta).
      if (rt.upstream.init?.capabilities.logging && !rt.upstream.modern) await rt.upstream.request('logging/setLevel', ctx.req.params, gw.timeoutMs(rt.server)).catch(() => {});
    }
    return {};
  });

  return h;
}

/** The 2026-07-28 capability shape drops `tasks`. */
function modernCapabilities(caps: Record<string, unknown>): Record<string, unknown> {
  const { tasks: _tasks, ...rest } = caps;
  return rest;
}
