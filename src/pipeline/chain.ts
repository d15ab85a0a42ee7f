/**
 * The fixed order of checks. Configuration turns stages on and tunes them; it never reorders them.
 *
 * Before any stage, on the raw bytes (transports call `Gateway.handleBytes`):
 *   0. limits and parse — byte size before decoding, UTF-8, nesting depth before JSON.parse,
 *      prototype keys, then the JSON-RPC envelope. Nothing larger or deeper is ever parsed.
 *
 * Client -> server (each request):
 *   1. auditCall          outermost, so every outcome — allowed, denied, failed, thrown — is recorded.
 *   2. validateMessage    the MCP schema of the negotiated revision and the lifecycle; malformed input
 *                         never reaches policy code; then `validation.allowedMethods`, so a method
                         the operator did not allow is refused like one that does not exist.
 *   3. authenticate       who is calling (established by the transport: HTTP credentials are verified
 *                         there, before dispatch, so refusals carry WWW-Authenticate); requireAuth
 *                         refuses anonymous callers here before any lookup.
 *   3b. revocation        a session the operator ended, or a token issued before its revocation,
 *                         is refused before anything reads the caller's identity.
 *   4. answerLocally      handshake, ping and lists are the gateway's own; lists are filtered by the
 *                         same decision as calls (step 6), so listing and calling agree.
 *   5. route              which server and which name; unknown names fail like denied ones; a task
 *                         only for the session that created it, else it is an unknown task.
 *   5a. methodAllowlist   the routed server's own `validation.allowedMethods`, once the server is known.
 *   5b. lockdown          the operator's emergency switch: every tool call (and task result or
 *                         status) refused but the allowlist; after route so patterns can name
 *                         tools, before any policy.
 *   6. authorize          tool / prompt / resource policy; deny wins; denial is opaque on the wire.
 *                         A task is authorized as its tool, again on every request.
 *   7. throttle           rate limit, after authorization so refused calls do not spend tokens, and
 *                         before argument validation so floods stay cheap.
 *   8. validateArguments  the server's own size/depth limits (stage 0 knew only the global ones),
 *                         then limits and the tool's inputSchema, for callers that may call the tool.
 *   9. inspectArguments   prompt injection, secrets and PII in tool/prompt arguments (exfiltration
 *                         rides in arguments): block / redact / flag. After the schema, so values
 *                         have their types; before constrainArguments, so refused calls spend no quota.
 *  10. constrainArguments argument-level policy: flow rules, client config files, CEL conditions,
 *                         operands, paths, SQL, URLs (SSRF), then quotas — after the schema, so
 *                         values have their declared types; last, so only calls that pass
 *                         everything spend quota. After the answer, it taints the session (flow);
 *                         resources/read and prompts/get pass their flow rules here too.
 *  11. requireApproval    a call whose allow rule says `approval: required` waits for a person's
 *                         yes (the caller's user via elicitation, else an operator) or is refused
 *                         at its timeout. Last before forward: nobody is asked about a call that
 *                         a cheaper stage would refuse anyway; quota is spent before the question,
 *                         so a quota also caps how many questions a caller can raise.
 *  12. forward            to the server with gateway ids; then the response chain below.
 *
 * Server -> client (each answer to a forwarded request):
 *   1. validateResult     MCP result schema and the tool's outputSchema, before anything reads it.
 *   2. inspectResult      one pass over every string of the answer (result or JSON-RPC error, whatever
 *                         shape it claims): strip terminal controls, redact secrets/PII, quarantine
 *                         or block prompt injection. After validation, so it reads only well-formed
 *                         results; untouched results keep the server's bytes (splice).
 *   3. bindTasks          a CreateTaskResult binds its task to the caller; tasks/list keeps only the
 *                         caller's own. Last, so only a result that reaches the caller binds a task.
 *   The audit record is written by step 1 above, once the answer is final.
 *
 * Server -> client requests (sampling/createMessage, elicitation/create) are not answers to a
 * client request, so they pass no chain: they are inspected like results before they are routed
 * (src/inspect/inspect-server-request.ts) — their text goes straight to the client's model or user.
 * Before that, a method that `validation.allowedMethods` (global or the server's) does not name is
 * refused to the server with -32601 (src/checks/allowed-methods.ts).
 */
import { methodAllowlist } from '../checks/allowed-methods.ts';
import { answerLocally } from '../checks/answer-locally.ts';
import { auditCall } from '../checks/audit-call.ts';
import { bindTasks } from '../checks/bind-tasks.ts';
import { authenticate } from '../checks/authenticate.ts';
import { authorize } from '../checks/authorize.ts';
import { constrainArguments } from '../checks/constrain-arguments.ts';
import { forward } from '../checks/forward.ts';
import { inspectArguments } from '../checks/inspect-arguments.ts';
import { inspectResult } from '../checks/inspect-result.ts';
import { lockdown } from '../checks/lockdown.ts';
import { requireApproval } from '../checks/require-approval.ts';
import { revocation } from '../checks/revocation.ts';
import { route } from '../checks/route.ts';
import { throttle } from '../checks/throttle.ts';
import { validateArguments } from '../checks/validate-arguments.ts';
import { validateMessage } from '../checks/validate-message.ts';
import { validateResult } from '../checks/validate-result.ts';
import { compose } from './compose.ts';
import type { CallContext } from './types.ts';

export const REQUEST_STAGES = [auditCall, validateMessage, authenticate, revocation, answerLocally, route, methodAllowlist, lockdown, authorize, throttle, validateArguments, inspectArguments, constrainArguments, requireApproval, forward] as const;
export const RESPONSE_STAGES = [validateResult, inspectResult, bindTasks] as const;

export const runRequestChain = compose<CallContext>(REQUEST_STAGES);
export const runResponseChain = compose<CallContext>(RESPONSE_STAGES);
