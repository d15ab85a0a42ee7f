/**
 * Audit records for what inspection found: `injection_attempt` (the monitoring alert counts it),
 * `secret_redacted`, `content_quarantined`. They name rule ids, categories, severities, JSON
 * paths and actions — never the matched text. Flags ride on the call's own record (`reason`);
 * a flagged injection finding of high severity or more is also an `injection_attempt`.
 */
import { SEVERITY_RANK } from '../detect/finding.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { CallContext } from '../pipeline/types.ts';
import { describe, type Direction, type Verdict } from './inspect-strings.ts';

/** Who and what an inspection record is about. */
export interface FindingSubject {
  session?: string;
  principal?: string;
  server?: string;
  tool?: string;
  method: string;
  requestId?: string | number;
}

/**
 * The audit records of one inspection verdict: `injection_attempt` and `secret_redacted` (and
 * `content_quarantined` when a quarantine id is given). Shared by the call stages and the
 * server-request path so both page on the same findings. `dir` goes into `detail.direction`.
 */
export function emitFindings(audit: AuditLog, base: FindingSubject, v: Verdict, dir: string, quarantineId?: string): void {
  const outcome = v.block ? 'block' : v.quarantine ? 'quarantine' : undefined;
  const decision = outcome ? ('deny' as const) : ('allow' as const);
  // The monitoring rule pages at the first injection_attempt: a flagged low or medium finding (a
  // stray zero-width space in a scraped page) rides on the call's record instead.
  // A custom rule that redacts is reported as a redaction (below), as secrets are.
  const injection = v.acted.filter(
    (a) => a.finding.category !== 'secret' && a.finding.category !== 'pii' && !(a.finding.category === 'custom' && a.action === 'redact') && (a.action !== 'flag' || SEVERITY_RANK[a.finding.severity] >= SEVERITY_RANK.high),
  );
  if (injection.length) {
    audit.emit({
      ...base,
      event: 'injection_attempt',
      decision,
      rule: injection[0]!.finding.rule,
      reason: `${dir}: ${outcome ?? injection[0]!.action} (${[...new Set(injection.map((a) => a.finding.rule))].join(', ')})`,
      detail: { direction: dir, findings: describe(injection) },
    });
  }
  const redacted = v.acted.filter((a) => a.action === 'redact' && (a.finding.category === 'secret' || a.finding.category === 'pii' || a.finding.category === 'custom'));
  if (redacted.length && !outcome) {
    audit.emit({
      ...base,
      event: 'secret_redacted',
      decision: 'allow',
      rule: redacted[0]!.finding.rule,
      reason: `${dir}: redacted ${[...new Set(redacted.map((a) => a.finding.rule))].join(', ')}`,
      detail: { direction: dir, findings: describe(redacted) },
    });
  }
  if (quarantineId) {
    audit.emit({
      ...base,
      event: 'content_quarantined',
      decision: 'deny',
      rule: v.quarantine?.rule,
      reason: `result quarantined as ${quarantineId} (${v.quarantine?.rule})`,
      detail: { id: quarantineId, findings: describe(v.acted.filter((a) => a.action === 'quarantine' || a.action === 'block')) },
    });
  }
}

export function reportFindings(ctx: CallContext, v: Verdict, dir: Direction, quarantineId?: string): void {
  emitFindings(
    ctx.services.audit,
    { session: ctx.session.id, principal: ctx.session.principal.subject, server: ctx.target?.server.name, tool: ctx.target?.name, method: ctx.method, requestId: ctx.req.id },
    v,
    dir,
    quarantineId,
  );
  const flagged = v.acted.filter((a) => a.action === 'flag');
  const why = v.block ?? v.quarantine;
  if (why) {
    ctx.audit.rule = why.rule;
    ctx.audit.reason = `${dir} ${v.block ? 'blocked' : 'quarantined'}: ${why.rule} at ${why.path ?? '/'}`;
  } else if (flagged.length || v.sanitized.length) {
    const parts = [];
    if (flagged.length) parts.push(`flagged ${[...new Set(flagged.map((a) => `${a.finding.rule} at ${a.finding.path}`))].join(', ')}`);
    if (v.sanitized.length) parts.push(`terminal controls stripped at ${v.sanitized.join(', ')}`);
    ctx.audit.reason = [ctx.audit.reason, `${dir}: ${parts.join('; ')}`].filter(Boolean).join('; ');
    ctx.audit.rule ??= flagged[0]?.finding.rule;
  }
}
