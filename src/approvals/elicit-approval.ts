/**
 * Asking the caller's user for approval through MCP elicitation (`elicitation/create`, form
 * mode): a message naming the server, the tool and a redacted, bounded summary of the arguments;
 * a schema with no required field, so the client's form is just the question. `accept` is yes;
 * `decline` and `cancel` are no (spec, client/elicitation: response actions).
 *
 * The question quotes arguments an agent wrote, and it is shown to a person as coming from the
 * agent's side: it is inspected like any server request bound for a client
 * (inspect/inspect-server-request.ts). Secrets are redacted twice (audit redaction by key, then
 * inspection by content); if inspection would block the text, the question is asked without the
 * arguments rather than not at all.
 */
import { redactArguments } from '../audit/redact.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Session } from '../gateway/session.ts';
import { inspectOutgoingRequest } from '../inspect/inspect-server-request.ts';
import type { JsonRpcId, JsonRpcRequest } from '../protocol/envelope.ts';
import { isModern } from '../protocol/revisions.ts';
import type { ClientRequests } from '../gateway/client-requests.ts';

const MAX_VALUE = 200;
const MAX_SUMMARY = 1000;

/** Form elicitation is possible: a stateful 2025 session whose client declared it (2025-11-25: `{}` or `{form}`). */
export function canElicit(session: Session, protocolVersion: string | undefined): boolean {
  if (session.stateless || isModern(protocolVersion)) return false;
  const e = session.clientCapabilities.elicitation;
  if (!e || typeof e !== 'object') return false;
  const keys = Object.keys(e);
  return keys.length === 0 || keys.includes('form');
}

function cut(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}… (${v.length} chars)` : v;
  if (Array.isArray(v)) return v.slice(0, 20).map(cut);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).slice(0, 30).map(([k, x]) => [k, cut(x)]));
  return v;
}

/** The redacted arguments, bounded: what the question, the list and the audit show. */
export function argumentSummary(args: unknown): { value: unknown; text: string } {
  const value = cut(redactArguments(args ?? {}));
  const text = JSON.stringify(value);
  return { value, text: text.length > MAX_SUMMARY ? `${text.slice(0, MAX_SUMMARY)}…` : text };
}

export function approvalQuestion(server: string, tool: string, principal: string, summary?: string): string {
  return [
    `Portcullis: the agent wants to call the tool "${tool}" on the server "${server}" (as ${principal}).`,
    summary === undefined ? 'Its arguments are withheld: inspection flagged them.' : `Arguments: ${summary}`,
    'Accept to let this one call run; decline to refuse it.',
  ].join('\n');
}

export interface ElicitAnswer {
  approved: boolean;
  /** accept / decline / cancel, as the client said. */
  action: string;
}

/**
 * Asks and waits; `undefined` when the client gave no usable answer (an error, a malformed
 * result) or `signal` ended the wait: the call then waits for an operator until its timeout.
 */
export async function elicitApproval(
  gw: Gateway,
  asks: ClientRequests,
  a: { session: Session; related: JsonRpcId; server: string; tool: string; args: unknown },
  signal: AbortSignal,
): Promise<ElicitAnswer | undefined> {
  const summary = argumentSummary(a.args).text;
  const schema = { type: 'object', properties: {} };
  const build = (text: string): JsonRpcRequest => ({ jsonrpc: '2.0', id: 0, method: 'elicitation/create', params: { message: text, requestedSchema: schema } });
  // What goes out is inspected like any text bound for a client. The question's own wording is
  // the gateway's; what the agent chose (the arguments) is inspected on its own, so that a
  // detector reading the whole imperative question ("Accept to let this one call run") cannot
  // withhold it, and flagged arguments are withheld (redactions kept) rather than sent.
  const checked = await inspectOutgoingRequest(gw, a.server, build(summary));
  const shown = 'refusal' in checked ? undefined : String((checked.msg.params as { message?: unknown } | undefined)?.message ?? '');
  const res = await asks.ask(a.session, 'elicitation/create', build(approvalQuestion(a.server, a.tool, a.session.principal.subject, shown)).params as Record<string, unknown>, a.related, signal);
  const action = (res?.result as { action?: unknown } | undefined)?.action;
  if (action !== 'accept' && action !== 'decline' && action !== 'cancel') return undefined;
  return { approved: action === 'accept', action };
}
