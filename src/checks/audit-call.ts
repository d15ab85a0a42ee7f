/**
 * The outermost stage: every request leaves exactly one audit record when it is worth one
 * (tool calls, denials, violations, failures; at level `full`, or when `events` names them, also
 * successful reads, lists and other requests), whatever the inner stages did or threw.
 * The record holds the real reason; the client only ever saw the opaque error.
 */
import type { AuditEventName } from '../config/schema.ts';
import { asGatewayError, type GatewayErrorCode } from '../errors.ts';
import type { Stage } from '../pipeline/compose.ts';
import type { CallContext } from '../pipeline/types.ts';

const SCHEMA_CODES: ReadonlySet<GatewayErrorCode> = new Set([
  'INVALID_PARAMS', 'TOO_MANY_ARGUMENTS', 'ARGUMENTS_INVALID', 'RESULT_INVALID', 'METHOD_NOT_FOUND',
  'NOT_INITIALIZED', 'UNSUPPORTED_PROTOCOL_VERSION', 'HEADER_MISMATCH',
  // A server's own size/depth limits, applied after routing (server-limits.ts).
  'MESSAGE_TOO_LARGE', 'NESTING_TOO_DEEP',
]);
const UPSTREAM_CODES: ReadonlySet<GatewayErrorCode> = new Set(['REQUEST_TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_PROTOCOL_ERROR', 'RESULT_TOO_LARGE']);

/** Every request about a task is audited, whatever its outcome (spec, tasks: Audit and Logging). */
const TASK_METHODS: ReadonlySet<string> = new Set(['tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel']);

/** A successful request's event: tool calls always; the others only where selected (TRANSACTION_EVENTS). */
function servedEvent(method: string): AuditEventName | undefined {
  if (method === 'tools/call') return 'tool_invoked';
  if (TASK_METHODS.has(method)) return 'task_accessed';
  if (method === 'resources/read') return 'resource_read';
  if (method === 'prompts/get') return 'prompt_fetched';
  if (method.endsWith('/list')) return 'list_served';
  return method === 'ping' ? undefined : 'request_served';
}

export function eventFor(ctx: CallContext): AuditEventName | undefined {
  const event = decisionEvent(ctx);
  return event ?? (TASK_METHODS.has(ctx.method) ? 'task_accessed' : undefined);
}

function decisionEvent(ctx: CallContext): AuditEventName | undefined {
  const err = ctx.error;
  if (!err) return servedEvent(ctx.method);
  if (err.code === 'CANCELLED') return ctx.method === 'tools/call' ? 'tool_invoked' : undefined;
  if (err.code === 'RATE_LIMITED' || err.code === 'QUOTA_EXCEEDED') return 'rate_limit_exceeded';
  if (err.code === 'POLICY_DENIED' || err.code === 'CONTENT_BLOCKED') return 'policy_violation';
  if (SCHEMA_CODES.has(err.code)) return 'schema_validation_failed';
  if (UPSTREAM_CODES.has(err.code)) return 'upstream_error';
  // STATE_UNAVAILABLE: refused because shared state (Redis) could not answer; audited like a
  // denial, since the audit never depends on Redis.
  if (ctx.method === 'tools/call' && (err.code === 'UNKNOWN_TOOL' || err.code === 'LOCKDOWN' || err.code === 'APPROVAL_DENIED' || err.code === 'APPROVAL_TIMEOUT' || err.code === 'STATE_UNAVAILABLE')) return 'tool_denied';
  if (
    err.code === 'UNKNOWN_TOOL' || err.code === 'UNKNOWN_PROMPT' || err.code === 'UNKNOWN_RESOURCE' || err.code === 'UNKNOWN_TASK' ||
    err.code === 'UNAUTHENTICATED' || err.code === 'INSUFFICIENT_SCOPE' || err.code === 'LOCKDOWN' || err.code === 'STATE_UNAVAILABLE'
  ) {
    return 'policy_violation';
  }
  return err.code === 'INTERNAL' ? 'upstream_error' : undefined;
}

export const auditCall: Stage<CallContext> = async (ctx, next) => {
  try {
    await next();
  } catch (err) {
    ctx.error = asGatewayError(err);
  } finally {
    const event = eventFor(ctx);
    const monitor = ctx.services.monitor;
    const endedAt = performance.now();
    const done = monitor ? () => monitor.requestDone(ctx, endedAt) : undefined;
    // A read or list nobody selected is not even built: the default level costs nothing more.
    if (event && (ctx.error || event === 'tool_invoked' || ctx.services.audit.records(event))) {
      const err = ctx.error;
      const p = ctx.req.params as { arguments?: unknown } | undefined;
      // Built now (what the call decided), chained and written once its answer is out (emitSoon).
      ctx.services.audit.emitSoon(
        {
          event,
          session: ctx.session.id,
          connection: ctx.session.connection,
          principal: ctx.session.principal.subject,
          authMethod: ctx.session.principal.method,
          server: ctx.target?.server.name,
          tool: ctx.target?.name ?? (typeof ctx.req.params?.name === 'string' ? ctx.req.params.name : undefined),
          method: ctx.method,
          requestId: ctx.req.id,
          decision: err ? (ctx.audit.decision ?? 'error') : 'allow',
          reason: err?.code === 'CANCELLED' ? 'cancelled by the client' : err ? (ctx.audit.reason ?? err.detail ?? err.message) : ctx.audit.reason,
          code: err?.code,
          rule: ctx.audit.rule,
          argument: ctx.audit.argument,
          latencyMs: Math.round((endedAt - ctx.startedAt) * 1000) / 1000,
          // A fetched prompt's arguments too (level full); a refused one's record stays as it was.
          args: ctx.method === 'tools/call' || event === 'prompt_fetched' ? (ctx.auditArguments ?? p?.arguments) : undefined,
          detail: detailOf(ctx),
        },
        // Metrics see every request, audited or not (lists, pings).
        done,
      );
    } else {
      done?.();
    }
  }
};

function detailOf(ctx: CallContext): Record<string, unknown> | undefined {
  const d: Record<string, unknown> = {};
  if (ctx.audit.task !== undefined) d.taskId = ctx.audit.task;
  if (ctx.audit.approval) d.approval = ctx.audit.approval;
  if (ctx.services.audit.level === 'debug' && ctx.responseBytes) d.resultBytes = ctx.responseBytes.length;
  return Object.keys(d).length ? d : undefined;
}
