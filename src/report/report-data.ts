/**
 * The security report (the seed's `generateSecurityReport`), computed by the event store:
 * totals by severity and event type, top tools and connections, the distribution by hour, the
 * alerts raised (and whether acknowledged), and the verdicts on recent pin drift (`pin_*` events).
 */
import type { AlertRow, EventStore, TimeRange } from '../store/event-store.ts';

export interface Count {
  key: string;
  count: number;
}

export interface ReportData {
  generatedAt: string;
  since: string;
  until: string;
  store: string;
  totalEvents: number;
  bySeverity: Count[];
  byType: Count[];
  topTools: Count[];
  topConnections: Count[];
  topPrincipals: Count[];
  /** One entry per UTC hour of the range, zeros included. */
  hourly: { hour: string; count: number }[];
  alerts: { id: number; type: string; severity: string; message: string; createdAt: string; acknowledged: boolean; acknowledgedBy: string | null; suppressed: number }[];
  pinDrift: { time: string; event: string; server: string | null; tool: string | null; decision: string | null; verdict: string }[];
  recentDenials: { time: string; event: string; tool: string | null; server: string | null; connection: string | null; reason: string | null }[];
}

const HOUR = 3_600_000;
/** Beyond this many hours the chart would be unreadable and the page heavy. */
export const MAX_HOURS = 24 * 92;

const SEVERITY_ORDER = ['critical', 'high', 'medium', 'low', 'info'];
const counts = (rows: { key: string | null; count: number }[]): Count[] => rows.map((r) => ({ key: r.key ?? '(none)', count: r.count }));

function verdictOf(detail: string | null, decision: string | null, reason: string | null): string {
  try {
    const d = detail ? (JSON.parse(detail) as { detail?: { verdict?: unknown } }).detail : undefined;
    if (typeof d?.verdict === 'string') return d.verdict;
  } catch {
    // details are JSON written by the gateway; a bad one just has no verdict
  }
  return decision === 'deny' ? 'hidden until approved' : decision === 'allow' ? 'approved' : (reason ?? 'recorded');
}

export async function buildReport(store: EventStore, range: TimeRange, now = new Date()): Promise<ReportData> {
  const [total, bySeverity, byType, topTools, topConnections, topPrincipals, hourly, alerts, pins, denials] = await Promise.all([
    store.total(range),
    store.countBy('severity', range, 10),
    store.countBy('event_type', range, 50),
    store.countBy('tool_name', range, 11),
    store.countBy('connection_id', range, 11),
    store.countBy('principal', range, 11),
    store.hourly(range),
    store.alerts(range, 200),
    store.recentEvents(range, { typePrefix: 'pin_', limit: 50 }),
    store.recentEvents(range, { types: ['tool_denied', 'policy_violation', 'rate_limit_exceeded', 'injection_attempt'], limit: 20 }),
  ]);
  const byHour = new Map(hourly.map((h) => [h.hour, h.count]));
  const first = Math.floor(range.since.getTime() / HOUR) * HOUR;
  const hours: { hour: string; count: number }[] = [];
  for (let t = first; t < range.until.getTime() && hours.length < MAX_HOURS; t += HOUR) {
    const hour = new Date(t).toISOString();
    hours.push({ hour, count: byHour.get(hour) ?? 0 });
  }
  return {
    generatedAt: now.toISOString(),
    since: range.since.toISOString(),
    until: range.until.toISOString(),
    store: store.location,
    totalEvents: total,
    bySeverity: counts(bySeverity).sort((a, b) => SEVERITY_ORDER.indexOf(a.key) - SEVERITY_ORDER.indexOf(b.key)),
    byType: counts(byType),
    topTools: counts(topTools).filter((c) => c.key !== '(none)').slice(0, 10),
    topConnections: counts(topConnections).filter((c) => c.key !== '(none)').slice(0, 10),
    topPrincipals: counts(topPrincipals).filter((c) => c.key !== '(none)').slice(0, 10),
    hourly: hours,
    alerts: alerts.map((a: AlertRow) => ({
      id: Number(a.id),
      type: a.alert_type,
      severity: a.severity,
      message: a.message,
      createdAt: a.created_at,
      acknowledged: Boolean(a.acknowledged),
      acknowledgedBy: a.acknowledged_by,
      suppressed: Number(a.suppressed),
    })),
    pinDrift: pins.map((e) => ({ time: e.timestamp, event: e.event_type, server: e.skill_name, tool: e.tool_name, decision: e.decision, verdict: verdictOf(e.details, e.decision, e.reason) })),
    recentDenials: denials.map((e) => ({ time: e.timestamp, event: e.event_type, tool: e.tool_name, server: e.skill_name, connection: e.connection_id, reason: e.reason })),
  };
}
