/**
 * The terminal stage: send the request to its server under the server's own names, with the
 * gateway's own request id and progress token (many sessions share one server), wait for the
 * answer within the timeout, and run the response checks on it. A 2026-07-28 server's answer is
 * first made what the caller's revision expects (gateway/modern-upstream.ts).
 */
import { GatewayError } from '../errors.ts';
import { isModern, META } from '../protocol/revisions.ts';
import { callerEnvelope, completeModern } from '../gateway/modern-upstream.ts';
import { callArguments } from '../gateway/input-required.ts';
import { rawResult } from '../protocol/splice.ts';
import type { UpstreamResponse } from '../upstream/upstream.ts';
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { InflightCall } from '../gateway/session.ts';
import type { ProgressToken } from '../gateway/progress.ts';
import type { Params } from '../protocol/envelope.ts';

const ENVELOPE_PREFIX = 'io.modelcontextprotocol/';

export function upstreamParams(ctx: CallContext): { params: Params | undefined; progressToken?: ProgressToken } {
  const t = ctx.target!;
  const src = ctx.req.params;
  if (!src) return { params: undefined };
  const params: Params = { ...src };
  // 2026 retry fields describe the client's hop to the gateway; a 2025 server never sees them.
  delete params.inputResponses;
  delete params.requestState;
  // 2026-07-28 has no tasks/* here (revisions.ts): a task created for such a caller could be
  // neither polled nor bound to it, and a 2026 server knows none. The call runs as a plain call.
  if (isModern(ctx.protocolVersion) || t.upstream.modern) delete params.task;
  // A task request names its task, not its tool (the target's name is the tool, for policy).
  if (t.kind !== 'task' && t.name !== undefined && t.exposed !== undefined && t.name !== t.exposed) {
    if (ctx.method === 'completion/complete') {
      const ref = { ...(src.ref as Record<string, unknown>) };
      if (ref.type === 'ref/prompt') ref.name = t.name;
      else ref.uri = t.name;
      params.ref = ref;
    } else if (t.kind === 'resource') params.uri = t.name;
    else params.name = t.name;
  }
  let progressToken: ProgressToken | undefined;
  const meta = src._meta as Record<string, unknown> | undefined;
  if (meta) {
    const m: Record<string, unknown> = {};
    for (const k of Object.keys(meta)) {
      // The 2026 envelope describes the client's hop to us, not ours to the server.
      if (!k.startsWith(ENVELOPE_PREFIX)) m[k] = meta[k];
    }
    if (m.progressToken !== undefined) {
      progressToken = ctx.services.progress.register(ctx.session, meta.progressToken as ProgressToken, ctx.req.id, t.upstream);
      m.progressToken = progressToken;
    }
    if (Object.keys(m).length) params._meta = m;
    else delete params._meta;
  }
  return { params, progressToken };
}

type Outcome = { done: UpstreamResponse } | { ask: { method: string; params?: Record<string, unknown> }; upstreamRequestId: JsonRpcId };

export const forward: Stage<CallContext> = async (ctx) => {
  const t = ctx.target;
  if (!t) throw new GatewayError('INTERNAL', 'no route');
  const gw = ctx.services;
  const modern = isModern(ctx.protocolVersion);
  const src = ctx.req.params ?? {};
  let call: InflightCall;
  let pending: Promise<UpstreamResponse>;
  let progressToken: ProgressToken | undefined;
  const held = modern && src.requestState !== undefined ? gw.inputRequired.take(src.requestState, ctx.session.principal.subject, ctx.method, t.name ?? '', callArguments(src)) : undefined;
  // A relayed server's state goes back only to the server that asked (input-required.ts).
  if (held?.kind === 'relay' && held.upstream !== t.upstream) throw new GatewayError('INVALID_PARAMS', 'Invalid or expired requestState');
  const parked = held?.kind === 'parked' ? held : undefined;
  let sent: Params | undefined;
  if (parked) {
    // A 2026 retry after input_required: answer the server's request, keep waiting on its call.
    const answer = (src.inputResponses as Record<string, unknown> | undefined)?.[parked.key];
    const reply = answer && typeof answer === 'object'
      ? { jsonrpc: '2.0', id: parked.upstreamRequestId, result: answer }
      : { jsonrpc: '2.0', id: parked.upstreamRequestId, error: { code: -32600, message: 'The client gave no response' } };
    await parked.upstream.send(reply);
    call = parked.call;
    pending = parked.pending;
  } else {
    // The gateway issues every requestState its callers see; an unknown one is stale or forged.
    if (modern && src.requestState !== undefined && !held) throw new GatewayError('INVALID_PARAMS', 'Invalid or expired requestState');
    const up = upstreamParams(ctx);
    progressToken = up.progressToken;
    // A 2026 caller's retry to a 2026 server: its answers, and the server's own state back.
    if (modern && t.upstream.modern && up.params) {
      if (src.inputResponses !== undefined) up.params.inputResponses = src.inputResponses;
      if (held?.kind === 'relay' && held.state !== undefined) up.params.requestState = held.state;
    }
    sent = up.params;
    const envelope = (src._meta as Record<string, unknown> | undefined)?.[META.clientCapabilities];
    call = { upstream: t.upstream, progressToken, capabilities: modern ? (envelope as Record<string, unknown>) : undefined };
    pending = t.upstream.request(ctx.method, up.params, gw.timeoutMs(t.server), (id) => {
      call.upstreamId = id;
    }, t.upstream.modern ? callerEnvelope(ctx) : undefined);
  }
  ctx.session.inflight.set(ctx.req.id, call);
  try {
    let outcome: Outcome;
    if (modern && (ctx.method === 'tools/call' || ctx.method === 'prompts/get' || ctx.method === 'resources/read')) {
      // The answer or the server's question, whichever comes first (one promise, not a race of three).
      outcome = await new Promise<Outcome>((resolve, reject) => {
        call.interrupt = (ask, upstreamRequestId) => {
          resolve({ ask, upstreamRequestId });
          return true;
        };
        pending.then((done) => resolve({ done }), reject);
      });
      call.interrupt = undefined;
    } else {
      outcome = { done: await pending };
    }
    if ('ask' in outcome) {
      const key = outcome.ask.method.replace(/\W+/g, '_');
      const token = gw.inputRequired.park({
        kind: 'parked', upstream: t.upstream, upstreamRequestId: outcome.upstreamRequestId, key, pending, call,
        subject: ctx.session.principal.subject, method: ctx.method, name: t.name ?? '', args: callArguments(src), expires: Date.now() + gw.timeoutMs(t.server),
      });
      pending.catch(() => {}); // a parked call that fails later is reported on the retry
      if (!token) throw new GatewayError('UPSTREAM_UNAVAILABLE', 'Too many calls waiting for input');
      ctx.response = { jsonrpc: '2.0', id: ctx.req.id, result: { resultType: 'input_required', inputRequests: { [key]: outcome.ask }, requestState: token } };
      return;
    }
    const done = t.upstream.modern ? await completeModern(ctx, outcome.done, sent, call) : outcome.done;
    if (done === 'relayed') return;
    const res = done;
    ctx.responseBytes = res.bytes;
    if (!res.msg.error && !ctx.resultChanged) ctx.resultRaw = rawResult(res.bytes, res.msg as unknown as Record<string, unknown>);
    ctx.response = res.msg.error
      ? { jsonrpc: '2.0', id: ctx.req.id, error: res.msg.error }
      : { jsonrpc: '2.0', id: ctx.req.id, result: res.msg.result };
  } finally {
    ctx.cancelled = call.cancelled === true;
    ctx.session.inflight.delete(ctx.req.id);
    if (progressToken !== undefined) ctx.services.progress.release(progressToken);
  }
  await ctx.services.responseChain(ctx);
};
