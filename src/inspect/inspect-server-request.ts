/**
 * Requests a server sends toward the client's model — `sampling/createMessage` (its messages and
 * system prompt go straight into the agent's LLM) and `elicitation/create` (its message is shown
 * to the user as coming from the agent) — are content from the server like a tool result, and a
 * hostile server's natural channel for prompt injection. They get the result inspection:
 * terminal controls stripped, secrets and PII redacted, and an injection the policy would
 * quarantine or block in a result refuses the request instead (there is no result to replace):
 * the server gets CONTENT_BLOCKED, the client never sees it, the audit record names the rule.
 */
import type { Gateway } from '../gateway/gateway.ts';
import type { JsonRpcRequest, JsonRpcResponse } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { GatewayError } from '../errors.ts';
import { classifierFor } from './classifier-for.ts';
import { inspectLeaves } from './inspect-strings.ts';
import { emitFindings } from './report-findings.ts';
import { collectLeaves, withLeaves } from './string-leaves.ts';

export const INSPECTED_SERVER_REQUESTS: ReadonlySet<string> = new Set(['sampling/createMessage', 'elicitation/create']);

export function inspectServerRequest(gw: Gateway, up: Upstream, msg: JsonRpcRequest): Promise<{ msg: JsonRpcRequest } | { refusal: JsonRpcResponse }> {
  return inspectOutgoingRequest(gw, up.name, msg);
}

/**
 * The same inspection for any request bound for a client on behalf of `server`: the gateway's
 * own approval question (src/approvals/) quotes the call's arguments to the user, so it is
 * inspected like a request from that server.
 */
export async function inspectOutgoingRequest(gw: Gateway, server: string, msg: JsonRpcRequest): Promise<{ msg: JsonRpcRequest } | { refusal: JsonRpcResponse }> {
  const cfg = gw.effectiveSecurity(server).inspection;
  const params = msg.params;
  if (!cfg.enabled || !params || !INSPECTED_SERVER_REQUESTS.has(msg.method)) return { msg };
  const v = await inspectLeaves(collectLeaves(params, '/params', { skipRootMeta: true }), cfg, 'result', classifierFor(gw, cfg.injection.classifier), undefined, 'sampling');
  if (!v.acted.length && !v.changes.length) return { msg };
  const stop = v.block ?? v.quarantine;
  emitFindings(gw.audit, { server, method: msg.method, requestId: msg.id as string | number }, v, 'server-request');
  if (stop) {
    const err = new GatewayError('CONTENT_BLOCKED', 'The gateway refused this request');
    return { refusal: { jsonrpc: '2.0', id: msg.id, error: err.toJsonRpcError() } };
  }
  return { msg: v.changes.length ? { ...msg, params: withLeaves(params, v.changes) } : msg };
}
