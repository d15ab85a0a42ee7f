/**
 * Portcullis inside the agent: a gateway in-process, in front of the agent's own MCP SDK clients.
 *
 *   const guard = await Guard.fromConfig('portcullis.yaml');
 *   const client = guard.wrap(sdkClient, { server: 'files' });
 *
 * The guard is a `Gateway` (gateway/gateway.ts) like `run` and `wrap` build, with the same
 * configuration, audit log, event store, alerts, pins and incident state; its servers are reached
 * through the wrapped clients (sdk-upstream-transport.ts), and each client is its session
 * (client-link.ts). No check is implemented here: every message goes through the gateway's chain.
 */
import { EventEmitter } from 'node:events';
import type { AuditRecord } from '../audit/audit-log.ts';
import type { LoadedConfig, ResolvedServer } from '../config/load.ts';
import { Gateway } from '../gateway/gateway.ts';
import type { Principal } from '../gateway/session.ts';
import { createLogger, lineLogger } from '../monitor/logger.ts';
import { startMonitoring, type Monitoring } from '../monitor/monitoring.ts';
import { pinGuardFromConfig } from '../pins/pins-from-config.ts';
import { ClientLink } from './client-link.ts';
import { guardUnenforced, loadGuardConfig } from './guard-config.ts';
import { GUARD_EVENT_NAMES, type GuardEventName } from './guard-events.ts';
import { GuardUsageError, readHandshake, type SdkClient } from './sdk-client.ts';
import { SdkUpstreamTransport } from './sdk-upstream-transport.ts';

export interface GuardOptions {
  /** Who the agent is, for tool rules (subjects, roles, groups, scopes) and rate limits. Default: `mcp.identity.stdioSubject`/`stdioRoles`, else the OS user. */
  principal?: { subject: string; roles?: string[]; groups?: string[]; scopes?: string[] };
  /** Server names the host will wrap besides `mcp.servers` and `mcp.skills`. */
  servers?: string[];
  /** Start although the configuration asks for what the guard cannot enforce (each is logged as a WARNING). */
  allowUnenforced?: boolean;
  /** Operational log lines, the alert and delivery logs included (never MCP traffic). Default: JSON lines on stderr. */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface WrapOptions {
  /** The configured server this client talks to. */
  server: string;
}

export class GuardConfigError extends Error {
  override name = 'GuardConfigError';
}

export class Guard extends EventEmitter {
  readonly gateway: Gateway;
  readonly loaded: LoadedConfig;
  private readonly monitoring: Monitoring;
  private readonly principal: Principal;
  private readonly links = new Map<string, ClientLink>();
  private closing?: Promise<void>;

  private constructor(loaded: LoadedConfig, monitoring: Monitoring, gateway: Gateway, principal: Principal) {
    super();
    this.loaded = loaded;
    this.monitoring = monitoring;
    this.gateway = gateway;
    this.principal = principal;
  }

  static async fromConfig(file: string, opts: GuardOptions = {}): Promise<Guard> {
    const loaded = loadGuardConfig(file, opts.servers, opts.env);
    // The host's `log` takes every line, the monitoring's (alerts, delivery) too; default: stderr.
    const sink = opts.log;
    const logger = createLogger({ level: loaded.config.mcp.logging.level, mode: 'guard', destination: sink && { write: (line: string) => sink(line.trimEnd()) } });
    const log = sink ?? lineLogger(logger);
    for (const n of loaded.notes) log(`note: ${n.path}: ${n.message}`);
    const unenforced = guardUnenforced(loaded);
    if (unenforced.length && !opts.allowUnenforced) {
      const lines = unenforced.map((u) => `  ${u.path}: ${u.what}`).join('\n');
      throw new GuardConfigError(`${file}: ${unenforced.length} security setting(s) are configured but NOT ENFORCED by the embedded guard:\n${lines}\nfix: remove or disable them, or pass { allowUnenforced: true } to accept running without them`);
    }
    for (const u of unenforced) log(`WARNING: NOT ENFORCED: ${u.path}: ${u.what}`);
    const monitoring = await startMonitoring(loaded, 'wrap', logger);
    const audit = monitoring.audit;
    let guard: Guard | undefined;
    const pins = await pinGuardFromConfig(loaded, { audit, log });
    const gateway = new Gateway(loaded, {
      mode: 'wrap',
      audit,
      log,
      incident: monitoring.incident,
      monitor: monitoring.metrics,
      pins,
      upstreamTransport: (s: ResolvedServer) => new SdkUpstreamTransport(s.name, () => guard?.links.get(s.name)),
    });
    const p = opts.principal;
    const principal: Principal = p ? { subject: p.subject, method: 'embedded', roles: [...(p.roles ?? [])], groups: p.groups, scopes: p.scopes } : Gateway.stdioPrincipalFor(gateway);
    guard = new Guard(loaded, monitoring, gateway, principal);
    audit.observe((rec) => guard.publish(rec));
    await monitoring.attach(gateway);
    // A server no client is wrapped for is left out of lists (not retried with back-off) until one is.
    await Promise.all([...gateway.servers.values()].map((rt) => rt.upstream.isolate('no SDK client wrapped')));
    await gateway.start();
    return guard;
  }

  /** Every audit record as `audit`, and under its guard event name (guard-events.ts). */
  private publish(rec: Readonly<AuditRecord>): void {
    const name = (GUARD_EVENT_NAMES as Record<string, string>)[rec.event];
    try {
      this.emit('audit', rec);
      if (name) this.emit(name, rec);
    } catch (err) {
      this.gateway.log(`guard: an event listener threw: ${(err as Error).message}`);
    }
  }

  override on(event: GuardEventName, listener: (record: Readonly<AuditRecord>) => void): this {
    return super.on(event, listener);
  }

  /**
   * Guards `client` (connected, v1 or v2 SDK) for the configured server `server`, and returns
   * it: the same object, same API, every request and every server message now through the
   * gateway. Wrap right after `connect`, before the client is used.
   */
  wrap<C extends object>(client: C, opts: WrapOptions): C {
    if (this.closing) throw new GuardUsageError('guard.wrap: the guard is closed');
    const rt = this.gateway.servers.get(opts?.server);
    if (!rt) {
      throw new GuardUsageError(`guard.wrap: no server '${opts?.server}' in ${this.loaded.file} (servers: ${[...this.gateway.servers.keys()].join(', ') || 'none'}); fix: add it under mcp.servers or mcp.skills, or pass servers: ['${opts?.server}'] to Guard.fromConfig`);
    }
    if (this.links.has(opts.server)) throw new GuardUsageError(`guard.wrap: a client is already wrapped for server '${opts.server}'`);
    const sdk = client as unknown as SdkClient;
    const handshake = readHandshake(sdk);
    const link = new ClientLink(this.gateway, opts.server, sdk.transport!, handshake, this.principal, (l) => {
      if (this.links.get(l.server) === l) this.links.delete(l.server);
    });
    this.links.set(opts.server, link);
    rt.upstream.reopen();
    link.start();
    return client;
  }

  /** Ends every guarded session, stops the gateway, seals and flushes the audit log. The clients stay the host's to close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const link of [...this.links.values()]) link.end('guard closed');
      await this.gateway.shutdown('guard closed');
      await this.monitoring.close();
    })();
    return this.closing;
  }
}
