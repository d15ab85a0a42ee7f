/**
 * How serious an audit event is, for the event store's `severity` column, reports and alerts.
 * Emitters may set `severity` themselves (an alert carries its rule's); otherwise it comes from
 * this table, and events it does not know (added by later capabilities) are `info` until listed.
 */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

const BY_EVENT: Readonly<Record<string, Severity>> = {
  connection_established: 'info',
  connection_closed: 'info',
  tool_invoked: 'info',
  task_accessed: 'info',
  resource_read: 'info',
  prompt_fetched: 'info',
  list_served: 'info',
  request_served: 'info',
  gateway_started: 'info',
  gateway_stopped: 'info',
  audit_checkpoint: 'info',
  server_enabled: 'info',
  lockdown_disabled: 'medium',
  schema_validation_failed: 'low',
  tool_denied: 'medium',
  policy_violation: 'medium',
  rate_limit_exceeded: 'medium',
  upstream_error: 'medium',
  pin_drift: 'high',
  tool_poisoning_detected: 'high',
  tool_shadowing: 'medium',
  pin_approved: 'medium',
  pin_revoked: 'medium',
  sandbox_crash_loop: 'high',
  sandbox_refused: 'high',
  sandbox_killed: 'medium',
  sandbox_memory_exceeded: 'medium',
  lockdown_enabled: 'high',
  tokens_revoked: 'high',
  credentials_reinstated: 'medium',
  server_disabled: 'high',
  alert_raised: 'high',
  injection_attempt: 'critical',
  secret_redacted: 'medium',
  content_quarantined: 'high',
  quarantine_released: 'medium',
  certificate_pin_mismatch: 'critical',
  authentication_failed: 'medium',
  // Someone else's session id with a valid credential of their own: stolen or leaked session id.
  session_principal_mismatch: 'high',
};

export function severityOf(event: string): Severity {
  return BY_EVENT[event] ?? 'info';
}

/** The incident playbook's priority for an alert of this severity (docs/playbook.md). */
export function priorityOf(s: Severity): 'P1' | 'P2' | 'P3' | 'P4' {
  return s === 'critical' ? 'P1' : s === 'high' ? 'P2' : s === 'medium' ? 'P3' : 'P4';
}
