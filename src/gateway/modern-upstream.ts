/**
 * Results of a 2026-07-28 server (upstream.ts negotiated it with `server/discover`), made what the
 * caller's revision expects.
 *
 * Such a server tags every result with `resultType` (SEP-2322). `complete` is the answer: the tag
 * and the cache hints are dropped here, and the responder adds its own for a 2026 caller. An
 * `input_required` result asks the client for input (sampling, elicitation, roots) and is retried
 * with `inputResponses` and the server's `requestState`:
 *
 * - a 2026 caller gets it relayed: the requests vetted like a server's own (allowedMethods,
 *   inspection), the server's state held by the gateway under a token bound to the caller and
 *   tool (input-required.ts), and the retry goes back to the server with the state restored;
 * - a 2025 caller has no such result. Each request becomes an ordinary server-to-client request on
 *   the caller's own session (the same routing, capability check, allowedMethods and inspection
 *   as a 2025 server's), and the gateway retries with the answers itself, for at most
 *   `MAX_INPUT_ROUNDS`. Input the caller cannot give is INPUT_UNAVAILABLE.
 */
import { GatewayError } from '../errors.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { Params } from '../protocol/envelope.ts';
import { isModern, META } from '../protocol/revisions.ts';
import type { CallerEnvelope } from '../upstream/negotiate.ts';
import type { Upstream, UpstreamResponse } from '../upstream/upstream.ts';
import { callArguments } from './input-required.ts';
import type { InflightCall } from './session.ts';

/** Rounds of input the gateway gives a server for one call of a 2025 client. */
export const MAX_INPUT_ROUNDS = 8;
/** Requests one `input_required` result may carry. */
const MAX_INPUT_REQUESTS = 16;
/** What a server may ask a client for (2026-07-28 InputRequest). */
const INPUT_METHODS: ReadonlySet<string> = new Set(['elicitation/create', 'sampling/createMessage', 'roots/list']);
const CAPABILITY_KEYS = ['elicitation', 'sampling', 'roots'];

type Ask = { method: string; params?: Record<string, unknown> };

/**
 * What a 2026 server is told of the caller for this call: its capabilities (those the gateway can
 * pass input requests on to) and its log level (a 2026 caller's `_meta`, a 2025 caller's
 * logging/setLevel; none, and the server sends no log messages).
 */
export function callerEnvelope(ctx: CallContext): CallerEnvelope {
  const meta = ctx.req.params?._meta as Record<string, unknown> | undefined;
  const modern = isModern(ctx.protocolVersion);
  const declared = modern ? (meta?.[META.clientCapabilities] as Record<string, unknown> | undefined) : ctx.session.clientCapabilities;
  const clientCapabilities: Record<string, unknown> = {};
  for (const k of CAPABILITY_KEYS) if (declared?.[k] !== undefined) clientCapabilities[k] = declared[k];
  const level = modern ? meta?.[META.logLevel] : ctx.session.logLevel;
  return typeof level === 'string' ? { clientCapabilities, logLevel: level } : { clientCapabilities };
}

/**
 * The server's answer for the caller: a complete result, or (2026 caller) `'relayed'` once the
 * caller was answered `input_required`. `params` is what was sent; `call` tracks the server's id.
 */
export async function completeModern(ctx: CallContext, res: UpstreamResponse, params: Params | undefined, call: InflightCall): Promise<UpstreamResponse | 'relayed'> {
  const t = ctx.target!;
  const up = t.upstream;
  const timeoutMs = ctx.services.timeoutMs(t.server);
  for (let round = 0; ; round++) {
    const result = res.msg.result;
    if (res.msg.error || !result || result.resultType === undefined || result.resultType === 'complete') return complete(ctx, res);
    if (result.resultType !== 'input_required') throw protocolError(up, `unknown resultType ${JSON.stringify(result.resultType)}`);
    const asks = inputRequests(up, result.inputRequests);
    const state = result.requestState;
    if (state !== undefined && typeof state !== 'string') throw protocolError(up, 'requestState is not a string');
    if (isModern(ctx.protocolVersion)) return relay(ctx, asks, state);
    if (round >= MAX_INPUT_ROUNDS) throw protocolError(up, `still asking for input after ${MAX_INPUT_ROUNDS} rounds`);
    const answers = await Promise.all(asks.map(([key, ask]) => askClient(ctx, up, ask, timeoutMs).then((r) => [key, r] as const)));
    const retry: Params = { ...params, inputResponses: Object.fromEntries(answers) };
    if (state !== undefined) retry.requestState = state;
    else delete retry.requestState;
    res = await up.request(ctx.method, retry, timeoutMs, (id) => (call.upstreamId = id), callerEnvelope(ctx));
  }
}

/** `resultType: complete` and the cache hints are the server's hop; the responder sets the caller's. */
function complete(ctx: CallContext, res: UpstreamResponse): UpstreamResponse {
  const result = res.msg.result;
  if (!result) return res;
  if (!('resultType' in result || 'ttlMs' in result || 'cacheScope' in result)) return res;
  const { resultType: _t, ttlMs: _l, cacheScope: _s, ...rest } = result;
  ctx.resultChanged = true;
  return { ...res, msg: { ...res.msg, result: rest } };
}

/** The server's `inputRequests`, checked: a map of at most 16 requests a client can answer. */
function inputRequests(up: Upstream, raw: unknown): [string, Ask][] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw protocolError(up, 'input_required without inputRequests');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_INPUT_REQUESTS) throw protocolError(up, `input_required with ${entries.length} inputRequests`);
  return entries.map(([key, v]) => {
    const ask = v as Ask;
    if (!ask || typeof ask !== 'object' || !INPUT_METHODS.has(ask.method)) throw protocolError(up, `inputRequests.${key} is not a request a client can answer`);
    if (ask.params !== undefined && (typeof ask.params !== 'object' || ask.params === null || Array.isArray(ask.params))) throw protocolError(up, `inputRequests.${key}.params is not an object`);
    return [key, { method: ask.method, ...(ask.params && { params: ask.params }) }];
  });
}

/** A 2026 caller: the vetted requests and a token for the server's state. */
async function relay(ctx: CallContext, asks: [string, Ask][], state: string | undefined): Promise<'relayed'> {
  const t = ctx.target!;
  const gw = ctx.services;
  const vetted: Record<string, Ask> = {};
  for (const [key, ask] of asks) vetted[key] = await vet(ctx, t.upstream, ask);
  const token = gw.inputRequired.park({
    kind: 'relay', upstream: t.upstream, state, subject: ctx.session.principal.subject, method: ctx.method, name: t.name ?? '', args: callArguments(ctx.req.params), expires: Date.now() + gw.timeoutMs(t.server),
  });
  if (!token) throw new GatewayError('UPSTREAM_UNAVAILABLE', 'Too many calls waiting for input');
  ctx.response = { jsonrpc: '2.0', id: ctx.req.id, result: { resultType: 'input_required', inputRequests: vetted, requestState: token } };
  return 'relayed';
}

/** The checks a 2025 server's own request gets (server-traffic.ts), for a request relayed to a 2026 caller. */
async function vet(ctx: CallContext, up: Upstream, ask: Ask): Promise<Ask> {
  // An id of the gateway's own questions: a refusal sent "to the server" stays in the gateway.
  const { id } = up.openAsk(0);
  const msg = { jsonrpc: '2.0' as const, id, method: ask.method, ...(ask.params && { params: ask.params }) };
  if (ctx.services.serverAsks.refuse(up, msg)) throw new GatewayError('INPUT_UNAVAILABLE', 'The server needs input the gateway does not pass on', { detail: `${ask.method} is not in validation.allowedMethods` });
  const r = await ctx.services.serverAsks.inspect(up, msg);
  if ('refusal' in r) throw new GatewayError('CONTENT_BLOCKED', 'The gateway refused this request', { detail: `${ask.method} in input_required refused by inspection` });
  return { method: ask.method, ...(r.msg.params && { params: r.msg.params }) };
}

/** A 2025 caller: ask it on its own session, as a 2025 server would, and wait for its answer. */
async function askClient(ctx: CallContext, up: Upstream, ask: Ask, timeoutMs: number): Promise<unknown> {
  const { id, answer } = up.openAsk(timeoutMs);
  ctx.services.serverAsks.ask(up, { jsonrpc: '2.0', id, method: ask.method, ...(ask.params && { params: ask.params }) }, [ctx.session]);
  const r = await answer;
  if (r.error) throw new GatewayError('INPUT_UNAVAILABLE', 'The server needs input this client cannot give', { detail: `${ask.method}: ${r.error.message}` });
  return r.result;
}

function protocolError(up: Upstream, detail: string): GatewayError {
  return new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${up.name}' sent an invalid result`, { detail });
}
