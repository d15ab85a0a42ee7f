/**
 * The answer to a client request, on the wire: an error, or the result with resource URIs named
 * for their server, subscriptions recorded, and (2026-07-28) `resultType`, cache hints and the
 * server's identity added. A result nothing changed keeps the server's own bytes (splice).
 */
import { relayedErrorStatus } from '../errors.ts';
import type { CallContext } from '../pipeline/types.ts';
import { isModern, META, MODERN_CACHEABLE } from '../protocol/revisions.ts';
import { frameResult } from '../protocol/splice.ts';
import { exposeUris } from './expose-uris.ts';
import type { Gateway } from './gateway.ts';

export class Responder {
  private readonly gw: Gateway;
  constructor(gw: Gateway) {
    this.gw = gw;
  }

  respond(ctx: CallContext): void {
    const { session, req } = ctx;
    // Spec (basic/utilities/cancellation): a request the client cancelled gets no response.
    if (ctx.cancelled) return;
    if (ctx.error) {
      session.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, error: ctx.error.toJsonRpcError() }), req.id, true, ctx.error);
      return;
    }
    const res = ctx.response!;
    if (res.result) {
      if (this.gw.namespacer.enabled && ctx.target && exposeUris(res.result, ctx.target.server.name, this.gw.namespacer)) ctx.resultChanged = true;
      if (ctx.method === 'resources/subscribe' && ctx.target?.exposed) session.subscriptions.add(ctx.target.exposed);
      if (ctx.method === 'resources/unsubscribe' && ctx.target?.exposed) session.subscriptions.delete(ctx.target.exposed);
      const fast = this.spliced(ctx, res.result);
      if (fast) return session.send(fast, req.id, true);
      if (isModern(ctx.protocolVersion)) this.modernize(ctx.method, res.result);
    }
    const status = res.error && isModern(ctx.protocolVersion) ? relayedErrorStatus(res.error.code) : undefined;
    session.send(JSON.stringify(res), req.id, true, status);
  }

  /** The client's response built around the server's own result bytes, when they still apply. */
  private spliced(ctx: CallContext, result: Record<string, unknown>): Buffer | undefined {
    const raw = ctx.resultRaw;
    if (!raw || ctx.resultChanged) return undefined;
    if (!isModern(ctx.protocolVersion)) return frameResult(ctx.req.id, raw);
    // 2026-07-28 additions go in front, when the server set none of them itself.
    if ('resultType' in result || '_meta' in result || 'ttlMs' in result || 'cacheScope' in result) return undefined;
    const cache = MODERN_CACHEABLE.has(ctx.method) ? '"ttlMs":0,"cacheScope":"private",' : '';
    return frameResult(ctx.req.id, raw, `"resultType":"complete",${cache}"_meta":{${JSON.stringify(META.serverInfo)}:${this.serverInfoJson()}}`);
  }

  private serverInfoCache?: { info: unknown; json: string };
  private serverInfoJson(): string {
    const info = this.gw.serverInfo();
    if (this.serverInfoCache?.info !== info) this.serverInfoCache = { info, json: JSON.stringify(info) };
    return this.serverInfoCache.json;
  }

  /** 2026-07-28 results carry `resultType`, cache hints and the server's identity. */
  private modernize(method: string, result: Record<string, unknown>): void {
    result.resultType ??= 'complete';
    if (MODERN_CACHEABLE.has(method)) {
      result.ttlMs ??= 0;
      result.cacheScope ??= 'private';
    }
    const meta = { ...(result._meta as Record<string, unknown> | undefined) };
    meta[META.serverInfo] ??= this.gw.serverInfo();
    result._meta = meta;
  }
}
