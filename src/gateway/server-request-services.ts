/**
 * What a check may do with a request a server sends while answering a call (a 2026-07-28
 * `input_required` result that carries sampling or elicitation requests, gateway/modern-upstream.ts):
 * the same allowlist, inspection and routing as a 2025 server's own request (server-traffic.ts),
 * offered to the chain through `ChainServices.serverAsks`, so checks never see the gateway.
 */
import { refuseServerRequest } from '../checks/allowed-methods.ts';
import { inspectServerRequest } from '../inspect/inspect-server-request.ts';
import type { JsonRpcRequest, JsonRpcResponse } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { Gateway } from './gateway.ts';
import { onServerRequest } from './server-traffic.ts';
import type { Session } from './session.ts';

export interface ServerRequestServices {
  /** Refused by `validation.allowedMethods` (global or the server's); the refusal is audited. */
  refuse(up: Upstream, msg: JsonRpcRequest): boolean;
  /** Inspected like any text bound for a client (src/inspect/). */
  inspect(up: Upstream, msg: JsonRpcRequest): Promise<{ msg: JsonRpcRequest } | { refusal: JsonRpcResponse }>;
  /** Sent to the client(s) of `only`, its answer routed back to `up`. */
  ask(up: Upstream, msg: JsonRpcRequest, only: Iterable<Session>): void;
}

export function serverRequestServices(gw: Gateway): ServerRequestServices {
  return {
    refuse: (up, msg) => refuseServerRequest(gw, up, msg),
    inspect: (up, msg) => inspectServerRequest(gw, up, msg),
    ask: (up, msg, only) => onServerRequest(gw, up, msg, only),
  };
}
