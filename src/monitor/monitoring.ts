/**
 * Everything around a gateway that watches and controls it, built from the configuration:
 * the audit sinks (file, event store, webhook), each with its hash chain and signed checkpoints;
 * the alert engine and its notifiers over the durable outbox; metrics; the incident state
 * (lockdown, revocations, disabled servers); the admin listener (run mode).
 *
 * An operator mistake fails here, at start: an unreadable signing key, an event store that does
 * not answer, a corrupt incident state, an admin port in use.
 */
import { join } from 'node:path';
import { AuditLog, FileAuditSink, type AuditSink } from '../audit/audit-log.ts';
import { HashChain } from '../audit/hash-chain.ts';
import { loadSigner, type CheckpointSigner } from '../audit/signing-keys.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Gateway } from '../gateway/gateway.ts';
import { IncidentControl } from '../incident/incident-control.ts';
import { INCIDENT_FILE, IncidentState, type IncidentStore } from '../incident/incident-state.ts';
import { RedisIncidentState } from '../incident/redis-incident-state.ts';
import type { RedisConnection } from '../state/redis-connection.ts';
import { RedisAlertWindows } from '../state/redis-alert-windows.ts';
import type { GatewayError } from '../errors.ts';
import type { EventStore } from '../store/event-store.ts';
import { storeFromConfig } from '../store/open-store.ts';
import { StoreAuditSink } from '../store/store-audit-sink.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import { AlertEngine, type Alert } from './alert-engine.ts';
import { Delivery } from './delivery.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { severityAtLeast, targetsFromConfig } from './notifiers.ts';
import { Outbox } from './outbox.ts';
import { WebhookAuditSink } from './webhook-audit-sink.ts';

export class MonitoringError extends Error {}

export interface Monitoring {
  audit: AuditLog;
  incident: IncidentControl;
  metrics: Metrics;
  store?: EventStore;
  outbox?: Outbox;
  delivery?: Delivery;
  admin?: AdminServer;
  /** Binds to the gateway; in run mode starts the admin listener (`admin: false`: a worker other than the first). */
  attach(gw: Gateway, opts?: { admin?: boolean }): Promise<void>;
  /** After the gateway's shutdown (which closes the audit log): delivery, queue, listener. */
  close(): Promise<void>;
}

/** The incident state in Redis, read once now; Redis not answering yet is not fatal (calls are refused until it does). */
async function sharedIncidentState(conn: RedisConnection, logger: Logger): Promise<RedisIncidentState> {
  const state = new RedisIncidentState(conn);
  await state.load().catch((err: GatewayError) => logger.error(`incident state: ${err.detail ?? err.message}`));
  // Like a corrupt incident.json: an operator's problem, reported at start (not "no lockdown").
  if (state.corrupt) throw new MonitoringError(state.corrupt);
  return state;
}

export async function startMonitoring(loaded: LoadedConfig, mode: 'run' | 'wrap', logger: Logger, clock?: () => Date, shared?: RedisConnection): Promise<Monitoring> {
  const cfg = loaded.config;
  const a = cfg.mcp.security.audit;
  const stateDir = cfg.mcp.state.dir;
  const reportError = (err: Error) => logger.error({ err: err.message }, 'audit write failed');

  let signer: CheckpointSigner | undefined;
  if (a.enabled && a.signing.privateKey) {
    try {
      signer = loadSigner(a.signing.privateKey);
    } catch (err) {
      throw new MonitoringError(`${loaded.file}: mcp.security.audit.signing.privateKey: ${(err as Error).message}`);
    }
  } else if (a.enabled) {
    logger.warn('audit checkpoints are NOT SIGNED: set mcp.security.audit.signing.privateKey (portcullis keys generate); the hash chain still shows damage, but not a rewrite by someone who can write the log');
  }

  const targets = targetsFromConfig(cfg);
  const outbox = targets.length ? new Outbox(join(stateDir, 'outbox.db')) : undefined;
  const metrics = new Metrics({ outboxPending: outbox ? () => outbox.pending() : undefined });
  const delivery = outbox
    ? new Delivery({
        outbox,
        targets,
        config: cfg.mcp.security.alerting.delivery,
        log: (level, msg, fields) => logger[level](fields ?? {}, msg),
      })
    : undefined;

  const sinks: AuditSink[] = [];
  let storeSink: StoreAuditSink | undefined;
  if (a.enabled) {
    for (const d of a.destinations) {
      if (d.type === 'file') sinks.push(new FileAuditSink({ path: d.path, rotation: d.rotation, onError: reportError, clock }));
      if (d.type === 'webhook') {
        const target = targets.find((t) => t.type === 'audit-webhook' && t.url === d.url)!;
        sinks.push(new WebhookAuditSink({ outbox: outbox!, target: target.id, batchSize: d.batchSize, onQueued: () => delivery?.kick(), onError: reportError }));
      }
    }
    const store = storeFromConfig(cfg, { worker: true });
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => {});
      throw new MonitoringError(`${loaded.file}: the event store ${store.location} is not usable: ${(err as Error).message}\nfix: check the sqlite path or the postgres URL and that the database is reachable`);
    }
    storeSink = new StoreAuditSink({ store, onError: reportError });
    sinks.push(storeSink);
  }

  // One chain for every sink: the file, the store and the webhook hold the same records and hashes.
  const audit = new AuditLog({
    sinks,
    events: a.events,
    level: a.level,
    onError: reportError,
    clock,
    observers: [(r) => metrics.auditEvent(r)],
    chain: new HashChain({ signer, everyRecords: a.signing.checkpointEveryRecords, clock }),
    checkpointEverySeconds: a.signing.checkpointEverySeconds,
  });

  const onAlert = (alert: Alert) => {
    metrics.alertRaised(alert);
    logger.warn({ alert: alert.type, severity: alert.severity, priority: alert.priority, group: alert.group }, `ALERT ${alert.type}: ${alert.message}`);
    audit.emit({ event: 'alert_raised', severity: alert.severity, reason: alert.message, rule: alert.rule, detail: { alert } });
    if (!outbox) return;
    const body = JSON.stringify(alert);
    for (const t of targets) {
      if (t.type === 'audit-webhook' || !severityAtLeast(alert.severity, t.minSeverity)) continue;
      try {
        outbox.enqueue(t.id, 'alert', body);
      } catch (err) {
        logger.error({ err: (err as Error).message, target: t.url }, 'alert could not be queued for delivery');
      }
    }
    delivery?.kick();
  };
  const engine = new AlertEngine(cfg.mcp.security.alerting, onAlert, clock ? () => clock().getTime() : Date.now, {
    // Several replicas: counted across all of them, raised by one (state/redis-alert-windows.ts).
    windows: shared ? new RedisAlertWindows(shared, { log: (l) => logger.warn(l) }) : undefined,
    onError: (err) => logger.error({ err: err.message }, 'alert evaluation failed'),
  });
  audit.observe((r) => engine.observe(r));

  let state: IncidentStore;
  try {
    state = shared ? await sharedIncidentState(shared, logger) : new IncidentState(join(stateDir, INCIDENT_FILE));
  } catch (err) {
    throw new MonitoringError((err as Error).message);
  }
  const incident = new IncidentControl(state, { audit, log: (l) => logger.warn(l), clock });

  const m: Monitoring = {
    audit,
    incident,
    metrics,
    store: storeSink?.store,
    outbox,
    delivery,
    async attach(gw, opts) {
      metrics.bind(gw);
      incident.attach(gw);
      delivery?.start();
      const adm = cfg.mcp.admin;
      if (mode === 'run' && adm.enabled && opts?.admin !== false) {
        try {
          m.admin = await startAdminServer({ host: adm.host, port: adm.port, tokenHash: adm.tokenHash!, gateway: gw, incident, metrics, store: storeSink?.store, logger, state: shared });
        } catch (err) {
          throw new MonitoringError(`${loaded.file}: mcp.admin: cannot listen on ${adm.host}:${adm.port}: ${(err as Error).message}`);
        }
        logger.info({ url: m.admin.url }, `admin listener on ${m.admin.url} (/metrics, /healthz, /readyz, /admin)`);
      } else if (mode === 'wrap' && adm.enabled) {
        logger.info('mcp.admin is for `run`; a wrapped gateway follows the incident state file in mcp.state.dir');
      }
    },
    async close() {
      incident.detach();
      await m.admin?.close();
      // One last round for what the shutdown queued (the final audit batch), then the rest waits on disk.
      if (delivery) {
        await Promise.race([delivery.tick().catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
        await delivery.stop(0);
      }
      outbox?.close();
    },
  };
  return m;
}
