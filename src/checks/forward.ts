/**
 * The terminal stage: send the request to its server under the server's own names, with the
 * gateway's own request id and progress token (many sessions share one server), wait for the
 * answer within the timeout, and run the response checks on it.
 */
import { GatewayError } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { InflightCall } from '../gateway/session.ts';
import type { Params } from '../protocol/envelope.ts';

const ENVELOPE_PREFIX = 'io.modelcontextprotocol/';

export function upstreamParams(ctx: CallContext): { params: Params | undefined; progressToken?: string } {
  const t = ctx.target!;
  const src = ctx.req.params;
  if (!src) return { params: undefined };
  const params: Params = { ...src };
  if (t.name !== undefined && t.exposed !== undefined && t.name !== t.exposed) {
    if (ctx.method === 'completion/complete') {
      const ref = { ...(src.ref as Record<string, unknown>) };
      if (ref.type === 'ref/prompt') ref.name = t.name;
      else ref.uri = t.name;
      params.ref = ref;
    } else if (t.kind === 'resource') params.uri = t.name;
    else params.name = t.name;
  }
  let progressToken: string | undefined;
  const meta = src._meta as Record<string, unknown> | undefined;
  if (meta) {
    const m: Record<string, unknown> = {};
    for (const k of Object.keys(meta)) {
      // The 2026 envelope describes the client's hop to us, not ours to the server.
      if (!k.startsWith(ENVELOPE_PREFIX)) m[k] = meta[k];
    }
    if (m.progressToken !== undefined) {
      progressToken = ctx.gateway.progress.register(ctx.session, meta.progressToken as string | number, ctx.req.id);
      m.progressToken = progressToken;
    }
    if (Object.keys(m).length) params._meta = m;
    else delete params._meta;
  }
  return { params, progressToken };
}

export const forward: Stage<CallContext> = async (ctx) => {
  const t = ctx.target;
  if (!t) throw new GatewayError('INTERNAL', 'no route');
  const { params, progressToken } = upstreamParams(ctx);
  const call: InflightCall = { upstream: t.upstream, progressToken };
  ctx.session.inflight.set(ctx.req.id, call);
  try {
    const res = await t.upstream.request(ctx.method, params, ctx.gateway.timeoutMs(t.server), (id) => {
      call.upstreamId = id;
    });
    ctx.responseBytes = res.bytes;
    ctx.response = res.msg.error
      ? { jsonrpc: '2.0', id: ctx.req.id, error: res.msg.error }
      : { jsonrpc: '2.0', id: ctx.req.id, result: res.msg.result };
  } finally {
    ctx.cancelled = call.cancelled === true;
    ctx.session.inflight.delete(ctx.req.id);
    if (progressToken) ctx.gateway.progress.release(progressToken);
  }
  await ctx.gateway.responseChain(ctx);
};
