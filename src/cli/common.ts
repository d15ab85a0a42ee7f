/**
 * What the commands share: argument parsing, loading a configuration with a readable failure,
 * the not-enforced gate, the audit log, and a clean shutdown on signals.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { findUnenforced } from '../config/enforcement.ts';
import { ConfigError, formatProblem, type LoadedConfig } from '../config/load.ts';
import { GatewayError } from '../errors.ts';
import type { Config } from '../config/schema.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Logger } from '../monitor/logger.ts';
import { MonitoringError, startMonitoring, type Monitoring } from '../monitor/monitoring.ts';
import { openStateConnection, StateConfigError, type RedisConnection, type StateConfig } from '../state/redis-connection.ts';
import { StateFileError } from '../util/locked-json-file.ts';

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function parse(argv: string[], options: ParseArgsConfig['options'], usage: string): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as { values: Record<string, string | boolean | undefined>; positionals: string[] };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function loadOrExplain(load: () => LoadedConfig): LoadedConfig {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 1);
    throw err;
  }
}

/**
 * A security setting this build does not enforce is never silently ignored: starting is refused
 * unless the operator says `--allow-unenforced`, and then every one is printed on every start.
 */
export function gateUnenforced(config: Config, mode: 'run' | 'wrap', allow: boolean, file: string): void {
  const list = findUnenforced(config, mode);
  if (!list.length) return;
  const lines = list.map((u) => `  ${u.path}: ${u.what} (until: ${u.until})`).join('\n');
  if (!allow) {
    throw new CliError(
      `${file}: ${list.length} security setting(s) are configured but NOT ENFORCED by this build:\n${lines}\n` +
        `fix: remove or disable them, or start with --allow-unenforced to accept running without them`,
      1,
    );
  }
  process.stderr.write(`portcullis: WARNING — running with ${list.length} security setting(s) NOT ENFORCED:\n${lines}\n`);
}

export function printNotes(loaded: LoadedConfig): void {
  for (const n of loaded.notes) process.stderr.write(`portcullis: note: ${formatProblem(loaded.file, n).trim()}\n`);
}

/** The audit sinks, alerting, metrics and incident state; a configuration mistake is a CLI error. */
export async function monitoringOrExplain(loaded: LoadedConfig, mode: 'run' | 'wrap', logger: Logger, state?: RedisConnection): Promise<Monitoring> {
  try {
    return await startMonitoring(loaded, mode, logger, undefined, state);
  } catch (err) {
    if (err instanceof MonitoringError) throw new CliError(err.message, 1);
    throw err;
  }
}

/**
 * One short-lived connection to the shared state (`mcp.state.url`) for a CLI command; every
 * replica hears a change it makes by pub/sub. Redis not answering is a CLI error saying nothing
 * was done.
 */
export async function withStateConnection<T>(cfg: StateConfig, fn: (conn: RedisConnection) => Promise<T>): Promise<T> {
  const log = { info() {}, warn() {}, error() {} };
  let conn;
  try {
    conn = openStateConnection(cfg, { log })!;
  } catch (err) {
    if (err instanceof StateConfigError) throw new CliError(err.message, 1);
    throw err;
  }
  try {
    await conn.waitReady(5000).catch((err: Error) => {
      throw new CliError(`mcp.state.url: ${err.message}\nfix: start Redis or check mcp.state; nothing was read or changed`, 1);
    });
    return await fn(conn);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'STATE_UNAVAILABLE') throw new CliError(`mcp.state.url: ${conn.where()}: ${err.detail ?? err.message}; the command did not complete`, 1);
    throw err;
  } finally {
    await conn.close();
  }
}

/** The shared-state connection (`mcp.state.url`), or undefined without one. */
export function stateOrExplain(loaded: LoadedConfig, logger: Logger): RedisConnection | undefined {
  try {
    return openStateConnection(loaded.config.mcp.state, { log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) } });
  } catch (err) {
    if (err instanceof StateConfigError) throw new CliError(`${loaded.file}: ${err.message}`, 1);
    throw err;
  }
}

/** The pin guard; a pin file that cannot be read is an operator's problem, reported at start. */
export async function pinsOrExplain<T>(make: () => Promise<T>): Promise<T> {
  try {
    return await make();
  } catch (err) {
    if (err instanceof StateFileError) throw new CliError(`${err.message}`, 1);
    throw err;
  }
}

/** SIGINT/SIGTERM: drain in-flight calls, close servers, flush the audit log, then exit. */
export function onShutdownSignals(stop: (reason: string) => Promise<void>): void {
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(130);
      stopping = true;
      void stop(sig).finally(() => process.exit(0));
    });
  }
}

export type { Gateway };
