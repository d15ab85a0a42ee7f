/**
 * Prometheus metrics (prom-client), served on the admin listener at /metrics.
 *
 * Label values are bounded so a client cannot grow the registry without limit: methods outside
 * the MCP method list become `other`, tool labels are only ever tools a server listed (a call to
 * an unknown name is counted, but not under its name), servers come from the configuration.
 */
import client from 'prom-client';
import type { AuditRecord } from '../audit/audit-log.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { CallContext } from '../pipeline/types.ts';
import type { Alert } from './alert-engine.ts';

const METHODS = new Set([
  'initialize', 'ping', 'tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/read',
  'resources/templates/list', 'resources/subscribe', 'resources/unsubscribe', 'completion/complete', 'logging/setLevel',
  'server/discover', 'subscriptions/listen', 'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel',
]);

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Metrics {
  readonly registry = new client.Registry();
  private readonly requests: client.Counter<'method' | 'decision'>;
  private readonly decisions: client.Counter<'decision' | 'reason'>;
  private readonly requestSeconds: client.Histogram<'method'>;
  private readonly toolSeconds: client.Histogram<'server' | 'tool'>;
  private readonly rateLimited: client.Counter<'server'>;
  private readonly alerts: client.Counter<'type' | 'severity'>;
  private readonly auditEvents: client.Counter<'event'>;
  private gw: Gateway | undefined;
  /** Where /metrics comes from when not this registry alone: every worker's, aggregated (cluster/worker.ts). */
  source: (() => Promise<string>) | undefined;

  constructor(opts: { outboxPending?: () => number } = {}) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
    this.requests = new client.Counter({ name: 'portcullis_requests_total', help: 'Client requests by method and decision.', labelNames: ['method', 'decision'], registers });
    this.decisions = new client.Counter({ name: 'portcullis_decisions_total', help: 'Decisions by outcome and reason (the error code, or ok).', labelNames: ['decision', 'reason'], registers });
    this.requestSeconds = new client.Histogram({ name: 'portcullis_request_duration_seconds', help: 'Time from request to answer, by method.', labelNames: ['method'], buckets: LATENCY_BUCKETS, registers });
    this.toolSeconds = new client.Histogram({ name: 'portcullis_tool_call_duration_seconds', help: 'Tool call latency through the gateway, per server and tool.', labelNames: ['server', 'tool'], buckets: LATENCY_BUCKETS, registers });
    this.rateLimited = new client.Counter({ name: 'portcullis_rate_limit_hits_total', help: 'Calls refused by a rate limit or quota, per server.', labelNames: ['server'], registers });
    this.alerts = new client.Counter({ name: 'portcullis_alerts_total', help: 'Alerts raised, by type and severity.', labelNames: ['type', 'severity'], registers });
    this.auditEvents = new client.Counter({ name: 'portcullis_audit_events_total', help: 'Audit events, by event.', labelNames: ['event'], registers });
    const self = this;
    new client.Gauge({
      name: 'portcullis_upstream_up',
      help: 'Whether each server is up (1), down or not started (0); with several workers, 1 only if up in every worker.',
      labelNames: ['server'],
      registers,
      aggregator: 'min',
      collect() {
        for (const [name, rt] of self.gw?.servers ?? []) this.set({ server: name }, rt.upstream.state === 'ready' ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'portcullis_upstream_disabled',
      help: 'Whether the operator disabled each server (portcullis server disable).',
      labelNames: ['server'],
      registers,
      aggregator: 'max',
      collect() {
        for (const name of self.gw?.servers.keys() ?? []) this.set({ server: name }, safely(() => self.gw!.incident.isServerDisabled(name)) ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'portcullis_upstream_inflight',
      help: 'Requests in flight to each server.',
      labelNames: ['server'],
      registers,
      collect() {
        for (const [name, rt] of self.gw?.servers ?? []) this.set({ server: name }, rt.upstream.inflight);
      },
    });
    new client.Gauge({
      name: 'portcullis_sessions',
      help: 'Open client sessions.',
      registers,
      collect() {
        this.set(self.gw?.sessions.size ?? 0);
      },
    });
    new client.Gauge({
      name: 'portcullis_tasks',
      help: 'Tasks bound to the session that created them (bounded: see docs/identity.md, Tasks).',
      registers,
      collect() {
        this.set(self.gw?.tasks.size ?? 0);
      },
    });
    new client.Gauge({
      name: 'portcullis_lockdown',
      help: 'Whether the emergency lockdown is in force.',
      registers,
      aggregator: 'max',
      collect() {
        this.set(safely(() => self.gw?.incident.lockdown().active) ? 1 : 0);
      },
    });
    if (opts.outboxPending) {
      const pending = opts.outboxPending;
      new client.Gauge({
        name: 'portcullis_delivery_pending',
        help: 'Alerts and audit batches waiting in the delivery queue.',
        registers,
        aggregator: 'max', // one queue file that every worker reads
        collect() {
          this.set(pending());
        },
      });
    }
  }

  /** The Prometheus text for /metrics. */
  text(): Promise<string> {
    return this.source ? this.source() : this.registry.metrics();
  }

  bind(gw: Gateway): void {
    this.gw = gw;
  }

  /** `endedAt`: performance.now() when the call's answer was final (default: now). */
  requestDone(ctx: CallContext, endedAt = performance.now()): void {
    const method = METHODS.has(ctx.method) ? ctx.method : 'other';
    const err = ctx.error;
    const decision = err ? (ctx.audit.decision ?? 'error') : 'allow';
    const seconds = (endedAt - ctx.startedAt) / 1000;
    this.requests.inc({ method, decision });
    this.decisions.inc({ decision, reason: err?.code ?? 'ok' });
    this.requestSeconds.observe({ method }, seconds);
    const t = ctx.target;
    if (ctx.method === 'tools/call' && t?.tool && t.name) this.toolSeconds.observe({ server: t.server.name, tool: t.name }, seconds);
    if (err && (err.code === 'RATE_LIMITED' || err.code === ('QUOTA_EXCEEDED' as string))) this.rateLimited.inc({ server: t?.server.name ?? '' });
  }

  /** Audit observer: counts every event (the event names are a fixed list). */
  auditEvent(rec: Readonly<AuditRecord>): void {
    this.auditEvents.inc({ event: rec.event });
  }

  alertRaised(a: Alert): void {
    this.alerts.inc({ type: a.type, severity: a.severity });
  }
}

/** A gauge read while shared state is away (it throws then) shows 0, rather than failing the scrape. */
function safely(read: () => boolean | undefined): boolean {
  try {
    return read() ?? false;
  } catch {
    return false;
  }
}
