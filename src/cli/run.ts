/** `portcullis run --config FILE`: the network gateway (Streamable HTTP) in front of `mcp.servers`. */
import { availableParallelism } from 'node:os';
import { runPrimary } from '../cluster/primary.ts';
import { announceListening, onWorkerShutdown, shareMetrics, workerIdentity, type WorkerIdentity } from '../cluster/worker.ts';
import { requireAuthProblems } from '../config/identity-schema.ts';
import { MAX_WORKERS, parseWorkersFlag, resolveWorkers, workersProblems } from '../config/workers-schema.ts';
import { loadConfigFile, type LoadedConfig } from '../config/load.ts';
import { Gateway } from '../gateway/gateway.ts';
import { serveHttp } from '../transports/http-server.ts';
import { transportSecurityProblems } from '../tls/readiness.ts';
import { createLogger, lineLogger } from '../monitor/logger.ts';
import { warmUpDetectors } from '../detect/warm-up.ts';
import { startIdleMemoryReducer } from '../monitor/idle-memory.ts';
import { pinGuardFromConfig } from '../pins/pins-from-config.ts';
import { ApprovalGate } from '../approvals/approval-gate.ts';
import { RedisApprovalStore } from '../approvals/redis-approval-store.ts';
import { quarantineStoreOf } from '../quarantine/quarantine-release.ts';
import { redisCheckStores } from '../state/shared-stores.ts';
import { RedisSessionStore } from '../state/redis-session-store.ts';
import { newReplicaId, RedisSessionBus } from '../state/session-bus.ts';
import { CliError, gateUnenforced, loadOrExplain, monitoringOrExplain, onShutdownSignals, parse, pinsOrExplain, printNotes, stateOrExplain } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis run --config FILE [--workers N|auto] [--allow-unenforced]

Serve MCP over Streamable HTTP at mcp.listen (default http://127.0.0.1:9470/mcp) in front of
every server in mcp.servers, applying the configured policy.

Options:
  -c, --config FILE       the YAML configuration (required)
      --workers N|auto    serve the listener from N processes (auto: one per core); overrides
                          mcp.listen.workers; above 1 needs mcp.state.url (docs/deploy.md, Workers)
      --allow-unenforced  start even if the configuration enables security settings this build
                          does not enforce yet (each is printed as a warning)
  -h, --help              this help`;

export const runCommand: Command = {
  summary: 'run the gateway over Streamable HTTP in front of mcp.servers',
  usage,
  async run(argv) {
    const { values } = parse(argv, { config: { type: 'string', short: 'c' }, workers: { type: 'string' }, 'allow-unenforced': { type: 'boolean' } }, usage);
    if (!values.config) throw new CliError(`--config is required\n\n${usage}`);
    const flag = values.workers as string | undefined;
    const fromFlag = flag === undefined ? undefined : parseWorkersFlag(flag);
    if (flag !== undefined && fromFlag === undefined) throw new CliError(`--workers ${flag}: expected a number from 1 to ${MAX_WORKERS}, or auto\n\n${usage}`);
    const loaded = loadOrExplain(() => loadConfigFile(values.config as string));
    const worker = workerIdentity();
    if (!worker) printNotes(loaded); // the primary printed them once
    gateUnenforced(loaded.config, 'run', Boolean(values['allow-unenforced']), loaded.file);
    const authProblem = requireAuthProblems(loaded.config)[0];
    if (authProblem) throw new CliError(`${loaded.file}: ${authProblem.path}: ${authProblem.message}`, 1);
    const transport = transportSecurityProblems(loaded);
    if (transport.length) throw new CliError(transport.map((p) => `${loaded.file}: ${p.path}: ${p.message}\nfix: ${p.fix}`).join('\n'), 1);
    if (!loaded.servers.length) throw new CliError(`${loaded.file}: mcp.servers is empty\nfix: declare at least one server (command or url)`, 1);
    if (worker) return runWorker(loaded, worker);
    const setting = fromFlag ?? loaded.config.mcp.listen.workers;
    const shared = workersProblems(setting, loaded.config.mcp.state.url, fromFlag === undefined ? 'mcp.listen.workers' : `--workers ${flag}`);
    if (shared.length) throw new CliError(shared.map((p) => `${loaded.file}: ${p.path}: ${p.message}\nfix: ${p.fix}`).join('\n'), 1);
    const count = resolveWorkers(setting);
    if (count > 1) return runWorkers(loaded, count);
    await startHttpGateway(loaded);
    return new Promise<number>(() => {}); // runs until a signal
  },
};

/** The primary of several workers (cluster/primary.ts): it serves nothing itself. */
async function runWorkers(loaded: LoadedConfig, count: number): Promise<number> {
  const log = (line: string) => process.stderr.write(`portcullis: ${line}\n`);
  log(`starting ${count} workers (${availableParallelism()} cores available); sessions and security state shared in Redis`);
  const drainMs = (loaded.config.mcp.timeouts.shutdownSeconds + 10) * 1000;
  const code = await runPrimary({ count, drainMs, log, banner: (url, servers) => `portcullis: listening on ${url} (servers: ${servers.join(', ')}; workers: ${count})\n` });
  process.exit(code);
}

/** One of the primary's workers: a whole gateway on the shared listener; a failed start ends the process. */
async function runWorker(loaded: LoadedConfig, worker: WorkerIdentity): Promise<number> {
  try {
    await startHttpGateway(loaded, undefined, worker);
  } catch (err) {
    process.stderr.write(`portcullis: worker ${worker.index + 1}/${worker.count}: ${err instanceof CliError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 70);
  }
  return new Promise<number>(() => {}); // runs until the primary says stop
}

export async function startHttpGateway(loaded: LoadedConfig, banner?: (url: string) => string, worker?: WorkerIdentity) {
  const logger = createLogger({ level: loaded.config.mcp.logging.level, mode: 'run', worker: worker && worker.index + 1 });
  const log = lineLogger(logger);
  const state = stateOrExplain(loaded, logger);
  // Not fatal: a replica that starts before Redis is not ready (/readyz) and refuses calls until it is.
  await state?.waitReady(5000).catch((err: Error) => logger.error(`shared state: ${err.message}; starting anyway, calls are refused until it is reachable`));
  // Detectors compiled before traffic: with shared state a first-use compile mid-call would make
  // answered Redis commands time out (src/detect/warm-up.ts).
  if (state) await warmUpDetectors(loaded.config.mcp.security.inspection.injection.model.enabled);
  const mon = await monitoringOrExplain(loaded, 'run', logger, state);
  const pins = await pinsOrExplain(() => pinGuardFromConfig(loaded, { audit: mon.audit, log, state }));
  const stores = state ? redisCheckStores(state, loaded) : undefined;
  // Approvals and quarantined originals in Redis too: any replica's admin API decides or reviews them.
  const approvals = state && new ApprovalGate(new RedisApprovalStore(state), { audit: mon.audit, log });
  const quarantine = quarantineStoreOf(loaded.config, state);
  const gw = new Gateway(loaded, { mode: 'run', audit: mon.audit, log, incident: mon.incident, monitor: mon.metrics, pins, stores, approvals, quarantine });
  // Sessions in Redis too: any replica serves any session (transports/session-registry.ts).
  const replica = newReplicaId();
  const sharing = state && {
    store: new RedisSessionStore(state, { onDamaged: log }),
    bus: new RedisSessionBus(state, { replica, maxBytes: loaded.config.mcp.security.validation.maxMessageSize, log }),
  };
  if (state) log(`replica ${replica}${worker ? ` (worker ${worker.index + 1}/${worker.count})` : ''}: sessions, security state, pins, approvals and quarantine shared in Redis at ${state.where()}`);
  // Every worker answers the primary's metrics requests; the admin worker's /metrics shows them all.
  if (worker) mon.metrics.source = shareMetrics(mon.metrics.registry);
  const http = await serveHttp(gw, sharing);
  await mon.attach(gw, { admin: !worker || worker.admin }).catch(async (err: Error) => {
    await Promise.allSettled([http.close(), gw.shutdown('admin listener failed'), mon.close()]);
    throw new CliError(err.message, 1);
  });
  // Memory a burst needed goes back to the OS once the loop is idle (src/monitor/idle-memory.ts).
  const reducer = startIdleMemoryReducer({ log: (m) => logger.debug(m) });
  (worker ? onWorkerShutdown : onShutdownSignals)(async (reason) => {
    reducer?.stop();
    log(`${reason}: draining in-flight calls`);
    // Stop accepting, let in-flight calls finish (bounded), end streams, flush the audit log;
    // only then drop the connections that are left (idle keep-alives, SSE streams).
    const closed = http.close();
    await gw.shutdown(reason);
    http.server.closeAllConnections();
    await closed;
    await mon.close();
    await sharing?.bus.close();
    await state?.close();
  });
  await gw.start();
  if (worker) announceListening(http.url, loaded.servers.map((s) => s.name));
  else process.stdout.write(banner ? banner(http.url) : `portcullis: listening on ${http.url} (servers: ${loaded.servers.map((s) => s.name).join(', ')})\n`);
  return { gw, http, monitoring: mon };
}
