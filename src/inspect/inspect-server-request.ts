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
import { describe, inspectLeaves } from './inspect-strings.ts';
import { collectLeaves, withLeaves } from './string-leaves.ts';

export const INSPECTED_SERVER_REQUESTS: ReadonlySet<string> = new Set(['sampling/createMessage', 'elicitation/create']);

export async function inspectServerRequest(gw: Gateway, up: Upstream, msg: JsonRpcRequest): Promise<{ msg: JsonRpcRequest } | { refusal: JsonRpcResponse }> {
  const cfg = gw.effectiveSecurity(up.name).inspection;
  const params = msg.params;
  if (!cfg.enabled || !params || !INSPECTED_SERVER_REQUESTS.has(msg.method)) return { msg };
  const v = await inspectLeaves(collectLeaves(params, '/params', { skipRootMeta: true }), cfg, 'result', classifierFor(gw, cfg.injection.classifier));
  if (!v.acted.length && !v.changes.length) return { msg };
  const stop = v.block ?? v.quarantine;
  const base = { server: up.name, method: msg.method, requestId: msg.id as string | number };
  const injection = v.acted.filter((a) => a.finding.category !== 'secret' && a.finding.category !== 'pii');
  if (injection.length) {
    gw.audit.emit({
      ...base,
      event: 'injection_attempt',
      decision: stop ? 'deny' : 'allow',
      rule: (stop ?? injection[0]!.finding).rule,
      reason: `server request ${stop ? 'refused' : 'flagged'} (${[...new Set(injection.map((a) => a.finding.rule))].join(', ')})`,
      detail: { direction: 'server-request', findings: describe(injection) },
    });
  }
  const redacted = v.acted.filter((a) => a.action === 'redact');
  if (redacted.length && !stop) {
    gw.audit.emit({ ...base, event: 'secret_redacted', decision: 'allow', rule: redacted[0]!.finding.rule, reason: `server request: redacted ${[...new Set(redacted.map((a) => a.finding.rule))].join(', ')}`, detail: { direction: 'server-request', findings: describe(redacted) } });
  }
  if (stop) {
    const err = new GatewayError('CONTENT_BLOCKED', 'The gateway refused this request');
    return { refusal: { jsonrpc: '2.0', id: msg.id, error: err.toJsonRpcError() } };
  }
  return { msg: v.changes.length ? { ...msg, params: withLeaves(params, v.changes) } : msg };
}
