/**
 * The guard's events are the audit log's records, as the log builds them (audit/audit-log.ts
 * observers): nothing is recomputed for the host. Each record is emitted as `audit`, and those
 * below also under a name for the host to listen to.
 */
import type { AuditEventName } from '../config/schema.ts';

export const GUARD_EVENT_NAMES = {
  tool_invoked: 'tool:invoked',
  tool_denied: 'tool:denied',
  policy_violation: 'policy:violation',
  rate_limit_exceeded: 'rate:limited',
  schema_validation_failed: 'schema:invalid',
  injection_attempt: 'injection',
  secret_redacted: 'secret:redacted',
  content_quarantined: 'content:quarantined',
  pin_drift: 'pin:drift',
  tool_poisoning_detected: 'tool:poisoned',
  tool_shadowing: 'tool:shadowing',
  upstream_error: 'upstream:error',
  alert_raised: 'alert',
  connection_established: 'connection:established',
  connection_closed: 'connection:closed',
} as const satisfies Partial<Record<AuditEventName, string>>;

export type GuardEventName = (typeof GUARD_EVENT_NAMES)[keyof typeof GUARD_EVENT_NAMES] | 'audit';
