/**
 * Alert rules over the audit stream: the seed's `MCPSecurityMonitor.evaluateAlertConditions`,
 * counted in memory with an injected clock instead of querying the store on every event.
 *
 * Each count rule watches one event name (configurable, so a detector added later feeds it by
 * emitting that event) and fires when `count` happen within `windowSeconds`, per subject (the
 * seed's volume rules count gateway-wide; the at-once rules per server and tool). The spike rule
 * compares connections in the last window with the window before. An alert with the same rule
 * and subject as one raised less than `cooldownSeconds` ago is held back and counted, and the
 * count goes out with the next one: deduplication without losing the tally.
 *
 * Counts are per gateway process: with several gateways behind a balancer each alerts on its own
 * share (the store has the totals for reports).
 */
import { randomUUID } from 'node:crypto';
import type { AuditRecord } from '../audit/audit-log.ts';
import { priorityOf, type Severity } from '../audit/severity.ts';
import type { Config } from '../config/schema.ts';
import { MemoryAlertWindows, type AlertWindows } from './alert-windows.ts';
import { RateComparison } from './sliding-window.ts';

type Alerting = Config['mcp']['security']['alerting'];
type RuleName = keyof Alerting['rules'];

export interface Alert {
  id: string;
  /** The seed's alert type names where it has one (HIGH_DENIED_TOOL_CALLS, ...). */
  type: string;
  rule: RuleName;
  severity: Severity;
  priority: string;
  /** The subject deduplicated on: rule, then server and tool where the rule is per subject. */
  group: string;
  message: string;
  data: Record<string, unknown>;
  /** Alerts of this group held back by the cooldown since the last one went out. */
  suppressed: number;
  time: string;
}

interface CountRuleDef {
  type: string;
  /** '' counts gateway-wide; otherwise per server/tool. */
  subject: (r: AuditRecord) => string;
  ignore?: (r: AuditRecord) => boolean;
  message: (n: number, windowSeconds: number, r: AuditRecord) => string;
}

const at = (r: AuditRecord) => `${r.tool ?? '?'} on ${r.server ?? '?'}`;
const COUNT_RULES: Record<Exclude<RuleName, 'connectionSpikes'>, CountRuleDef> = {
  deniedToolCalls: {
    type: 'HIGH_DENIED_TOOL_CALLS',
    subject: () => '',
    // An operator's lockdown denies everything on purpose; that is not an attack.
    ignore: (r) => r.code === 'LOCKDOWN',
    message: (n, w, r) => `High volume of denied MCP tool calls: ${n} in the last ${w}s. Last attempt: ${at(r)}, connection ${r.connection ?? '?'}.`,
  },
  rateLimitViolations: {
    type: 'RATE_LIMIT_ATTACK',
    subject: () => '',
    message: (n, w) => `Potential rate-limit attack: ${n} violations in ${w}s. Review the connection logs for a flood.`,
  },
  injectionAttempts: {
    type: 'INJECTION_ATTEMPT_DETECTED',
    subject: (r) => `${r.server ?? ''}/${r.tool ?? ''}`,
    message: (_n, _w, r) => `MCP injection attempt detected. Pattern: ${String((r.detail as { pattern?: unknown } | undefined)?.pattern ?? r.rule ?? 'unknown')}. Tool: ${at(r)}. Connection: ${r.connection ?? r.session ?? '?'}. Immediate action required.`,
  },
  pinDrift: {
    type: 'PIN_DRIFT_DETECTED',
    subject: (r) => `${r.server ?? ''}/${r.tool ?? ''}`,
    // Launch and instructions pins are per server: no tool, the kind says what changed.
    message: (_n, _w, r) => `A pinned definition changed: ${r.tool ? at(r) : `the ${String((r.detail as { kind?: unknown } | undefined)?.kind ?? 'definition')} of ${r.server ?? '?'}`}. It stays hidden until an operator approves it.`,
  },
  sandboxCrashLoop: {
    type: 'SANDBOX_CRASH_LOOP',
    subject: (r) => r.server ?? '',
    message: (_n, _w, r) => `Server ${r.server ?? '?'} is in a crash loop and marked unhealthy.${r.reason ? ` ${r.reason}` : ''}`,
  },
  authenticationFailures: {
    type: 'AUTHENTICATION_FAILURES',
    subject: () => '',
    message: (n, w, r) => `${n} refused credentials in the last ${w}s (credential stuffing, or a client with a bad token). Last: ${r.reason ?? '?'} from ${r.connection ?? '?'}.`,
  },
  toolPoisoning: {
    type: 'TOOL_POISONING_DETECTED',
    subject: (r) => `${r.server ?? ''}/${r.tool ?? ''}`,
    // A flagged finding stays listed and is audited; only a blocked definition pages.
    ignore: (r) => r.decision !== 'deny',
    message: (_n, _w, r) => `A poisoned description was blocked: ${at(r)} (${r.reason ?? '?'}). It stays hidden until an operator reviews it (portcullis pins list).`,
  },
  sessionPrincipalMismatch: {
    type: 'SESSION_PRINCIPAL_MISMATCH',
    subject: (r) => r.session ?? '',
    message: (_n, _w, r) => `Session ${r.session ?? '?'} was presented by another caller (${r.principal ?? '?'}, from ${r.connection ?? '?'}): a stolen or leaked session id. The request was refused.`,
  },
  certificatePinMismatch: {
    type: 'CERTIFICATE_PIN_MISMATCH',
    subject: (r) => r.server ?? '',
    message: (_n, _w, r) => `Upstream ${r.server ?? '?'} presented a certificate that does not match its pin; the connection was refused.`,
  },
};

/** Every audit record passes here: the table is walked without building its entries each time. */
const COUNT_RULE_LIST = Object.entries(COUNT_RULES) as [Exclude<RuleName, 'connectionSpikes'>, CountRuleDef][];

/** The part of a record an alert may quote: never arguments. */
function summary(r: AuditRecord): Record<string, unknown> {
  const { time, event, server, tool, session, connection, principal, reason, code, rule } = r;
  return Object.fromEntries(Object.entries({ time, event, server, tool, session, connection, principal, reason, code, rule }).filter(([, v]) => v !== undefined));
}

export class AlertEngine {
  private readonly cfg: Alerting;
  private readonly clock: () => number;
  private readonly onAlert: (a: Alert) => void;
  private readonly windows: AlertWindows;
  private readonly spikes: RateComparison;
  private readonly startedAt: number;
  private readonly onError: (err: Error) => void;

  /** `windows`: shared counting (Redis, several replicas); default: this process's. */
  constructor(cfg: Alerting, onAlert: (a: Alert) => void, clock: () => number = Date.now, opts: { windows?: AlertWindows; onError?: (err: Error) => void } = {}) {
    this.cfg = cfg;
    this.onAlert = onAlert;
    this.clock = clock;
    this.windows = opts.windows ?? new MemoryAlertWindows();
    this.onError = opts.onError ?? (() => {});
    this.startedAt = clock();
    this.spikes = new RateComparison(cfg.rules.connectionSpikes.windowSeconds * 1000);
  }

  /** The audit observer. */
  observe(rec: Readonly<AuditRecord>): void {
    if (!this.cfg.enabled || rec.event === 'alert_raised') return;
    const now = this.clock();
    for (const [name, def] of COUNT_RULE_LIST) {
      const rule = this.cfg.rules[name];
      if (!rule.enabled || rule.event !== rec.event || def.ignore?.(rec)) continue;
      const subject = def.subject(rec);
      const key = `${name}|${subject}`;
      const data = (n: number) => ({ count: n, windowSeconds: rule.windowSeconds, threshold: rule.count, lastEvent: summary(rec) });
      then(this.windows.hit(key, rule.count, rule.windowSeconds * 1000, now), (n) => {
        if (n !== undefined) this.raise(now, name, def.type, rule.severity, key, def.message(n, rule.windowSeconds, rec), data(n));
      }, this.onError);
    }
    const spike = this.cfg.rules.connectionSpikes;
    if (spike.enabled && rec.event === spike.event) {
      const { current, previous } = this.spikes.hit(now);
      // The window before must have been watched in full, or every start would look like a spike.
      const warm = now - this.startedAt >= 2 * spike.windowSeconds * 1000;
      if (warm && current >= spike.minCount && current * 100 >= spike.percent * previous) {
        const pct = previous ? Math.round((current / previous) * 100) : null;
        this.raise(
          now,
          'connectionSpikes',
          'CONNECTION_SPIKE',
          spike.severity,
          'connectionSpikes|',
          `Connection spike: ${current} connections in the last ${spike.windowSeconds}s${pct === null ? ' after none in the window before' : `, ${pct}% of the ${previous} in the window before`}.`,
          { current, previous, percent: pct, windowSeconds: spike.windowSeconds, threshold: spike.percent },
        );
      }
    }
  }

  private raise(now: number, rule: RuleName, type: string, severity: Severity, group: string, message: string, data: Record<string, unknown>): void {
    then(this.windows.claim(group, this.cfg.cooldownSeconds * 1000, now), (c) => {
      if (c.raise) this.onAlert({ id: randomUUID(), type, rule, severity, priority: priorityOf(severity), group, message, data, suppressed: c.held, time: new Date(now).toISOString() });
    }, this.onError);
  }
}

/** `fn(v)` now when `v` is a value (the in-process path stays synchronous), after it when a promise. */
function then<T>(v: T | Promise<T>, fn: (x: T) => void, onError: (err: Error) => void): void {
  if (v instanceof Promise) v.then(fn, onError);
  else fn(v);
}
