/**
 * The one connection to Redis behind every shared store (`mcp.state.url`).
 *
 * Security state must fail CLOSED while Redis is away, so the client never queues a command for
 * later (`enableOfflineQueue: false`), never retries one on a new connection
 * (`maxRetriesPerRequest: 0`), and gives up on a command after `commandTimeoutMs`: the caller sees
 * an error at once and refuses the call (`STATE_UNAVAILABLE`). The connection itself comes back on
 * its own with capped exponential back-off. Loss and recovery are each logged once, loudly; a
 * failing command is not logged here (its caller turns it into a refused call and an audit record).
 *
 * Why ioredis: widely used and maintained, Lua scripts by `defineCommand` (EVALSHA with EVAL
 * fallback), automatic reconnect with a `retryStrategy`, TLS, pub/sub with resubscription.
 */
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { z } from 'zod';
import type { stateSchema } from '../config/monitoring-schema.ts';
import { GatewayError } from '../errors.ts';

export type StateConfig = z.infer<typeof stateSchema>;

export interface StateLog {
  warn(msg: string): void;
  error(msg: string): void;
  info(msg: string): void;
}

export interface RedisConnectionOptions {
  url: string;
  password?: string;
  keyPrefix: string;
  /** PEM of the CA for `rediss://`; default: the system CAs. */
  tlsCa?: string;
  commandTimeoutMs: number;
  log: StateLog;
  /** Reconnect back-off bounds. @default 100 and 5000 ms */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Start-up problem with `mcp.state` (names the key and the fix). */
export class StateConfigError extends Error {}

/** Capped exponential back-off: 100, 200, 400 ... up to the cap, for ever. */
export function backoffMs(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(20, Math.max(0, attempt - 1)));
}

export function redisOptions(o: RedisConnectionOptions): RedisOptions {
  const u = new URL(o.url);
  const tls = u.protocol === 'rediss:';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: o.password,
    ...(tls ? { tls: { servername: u.hostname, ...(o.tlsCa ? { ca: o.tlsCa } : {}) } } : {}),
    connectTimeout: Math.max(1000, o.commandTimeoutMs * 2),
    commandTimeout: o.commandTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: true,
    retryStrategy: (times) => backoffMs(times, o.minBackoffMs ?? 100, o.maxBackoffMs ?? 5000),
    // Redis may not be up yet when the gateway starts; it is not ready until it is.
    lazyConnect: false,
  };
}

/** The error a store throws when Redis cannot answer: the call is refused, never served stale. */
export function stateUnavailable(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('STATE_UNAVAILABLE', 'Shared state is unavailable; try again later', { detail: `redis: ${err instanceof Error ? err.message : String(err)}` });
}

type Handler = (message: string) => void;

export class RedisConnection {
  readonly client: Redis;
  readonly keyPrefix: string;
  private readonly opts: RedisConnectionOptions;
  private readonly log: StateLog;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly readyListeners = new Set<(ready: boolean) => void>();
  private lost = false;
  private closed = false;
  private lastError = '';

  constructor(opts: RedisConnectionOptions) {
    this.opts = opts;
    this.keyPrefix = opts.keyPrefix;
    this.log = opts.log;
    this.client = new Redis(redisOptions(opts));
    const where = this.where();
    this.client.on('ready', () => {
      if (this.lost) this.log.warn(`shared state: Redis at ${where} is back; security state is served again`);
      else this.log.info(`shared state: connected to Redis at ${where}`);
      this.lost = false;
      this.emitReady(true);
    });
    // Every failed attempt emits 'error' (ioredis would print it itself without a listener); only
    // the first of a run is logged, with the reason, so an outage is one loud line, not a flood.
    this.client.on('error', (err: Error) => {
      this.lastError = err.message;
      this.markLost(err.message);
    });
    this.client.on('close', () => this.markLost(this.lastError || 'connection closed'));
  }

  /** Commands are answered now (connected and past the handshake). */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** `host:port/db`, never the password. */
  where(): string {
    const u = new URL(this.opts.url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : '/0'}`;
  }

  /** `keyPrefix` + parts joined by ':'. */
  key(...parts: string[]): string {
    return this.keyPrefix + parts.join(':');
  }

  /**
   * A Lua script as a function: one atomic round trip (EVALSHA, EVAL when Redis does not know it
   * yet). Every failure, Redis away or a timeout, is `STATE_UNAVAILABLE`.
   */
  script<T = unknown>(name: string, lua: string, numberOfKeys: number | null): (keys: readonly string[], args: readonly (string | number)[]) => Promise<T> {
    const command = `portcullis_${name}`;
    const client = this.client as unknown as Record<string, ((...a: (string | number)[]) => Promise<T>) | undefined>;
    // numberOfKeys null: the key count varies per call and is passed first by the caller.
    if (!client[command]) this.client.defineCommand(command, numberOfKeys === null ? { lua } : { lua, numberOfKeys });
    const run = client[command]!.bind(this.client);
    return async (keys, args) => {
      try {
        return await run(...keys, ...args);
      } catch (err) {
        throw stateUnavailable(err);
      }
    };
  }

  /** Called with `true` on every (re)connection and `false` on every loss. */
  onReadyChange(fn: (ready: boolean) => void): () => void {
    this.readyListeners.add(fn);
    return () => this.readyListeners.delete(fn);
  }

  /** Resolves once ready, or rejects after `timeoutMs` (the connection keeps trying). */
  async waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        reject(new Error(`Redis at ${this.where()} not reachable within ${timeoutMs} ms${this.lastError ? ` (${this.lastError})` : ''}`));
      }, timeoutMs);
      const off = this.onReadyChange((r) => {
        if (!r) return;
        clearTimeout(t);
        off();
        resolve();
      });
    });
  }

  /** A second connection with the same settings (a subscriber cannot send other commands). */
  duplicate(overrides: Partial<RedisOptions> = {}): Redis {
    const d = this.client.duplicate(overrides);
    d.on('error', () => {}); // the main connection reports outages; this one reconnects alike
    return d;
  }

  /** Publishes on `keyPrefix + channel`; fails (STATE_UNAVAILABLE) while Redis is away. */
  async publish(channel: string, message: string): Promise<void> {
    try {
      await this.client.publish(this.key(channel), message);
    } catch (err) {
      throw stateUnavailable(err);
    }
  }

  /**
   * Calls `handler` for every message on `keyPrefix + channel`, from any replica (this one too).
   * Messages published while the subscriber was disconnected are lost (pub/sub): a subscriber
   * pairs this with a re-read on `onReadyChange(true)` and a periodic one.
   */
  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    const full = this.key(channel);
    if (!this.subscriber) {
      // Its SUBSCRIBE may wait for the connection: a subscriber answers no security question.
      this.subscriber = this.duplicate({ enableOfflineQueue: true });
      this.subscriber.on('message', (ch: string, msg: string) => {
        for (const h of this.handlers.get(ch) ?? []) {
          try {
            h(msg);
          } catch (err) {
            this.log.error(`shared state: a change handler for ${ch} failed: ${(err as Error).message}`);
          }
        }
      });
    }
    let set = this.handlers.get(full);
    if (!set) {
      this.handlers.set(full, (set = new Set()));
      // ioredis subscribes again on every reconnect.
      await this.subscriber.subscribe(full).catch((err: Error) => this.log.warn(`shared state: subscribe ${full} pending: ${err.message}`));
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(full) === set) {
        this.handlers.delete(full);
        await this.subscriber?.unsubscribe(full).catch(() => {});
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.readyListeners.clear();
    const quit = async (c: Redis | undefined) => {
      if (!c) return;
      await Promise.race([c.quit().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
      c.disconnect();
    };
    await Promise.all([quit(this.subscriber), quit(this.client)]);
  }

  private markLost(reason: string): void {
    if (this.closed || this.lost) return;
    this.lost = true;
    this.log.error(`shared state: Redis at ${this.where()} unreachable (${reason}); calls that need security state are REFUSED until it is back; reconnecting with back-off`);
    this.emitReady(false);
  }

  private emitReady(ready: boolean): void {
    for (const fn of this.readyListeners) {
      try {
        fn(ready);
      } catch (err) {
        this.log.error(`shared state: a readiness listener failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * Opens the connection `mcp.state.url` names, or returns undefined without one. Problems an
 * operator must fix (password variable unset, CA file unreadable) throw `StateConfigError`.
 */
export function openStateConnection(cfg: StateConfig, opts: { log: StateLog; env?: NodeJS.ProcessEnv }): RedisConnection | undefined {
  if (!cfg.url) return undefined;
  const env = opts.env ?? process.env;
  let password: string | undefined;
  if (cfg.passwordEnv) {
    password = env[cfg.passwordEnv];
    if (!password) throw new StateConfigError(`mcp.state.passwordEnv: the environment variable ${cfg.passwordEnv} is not set or empty\nfix: export ${cfg.passwordEnv} with the Redis password, or remove mcp.state.passwordEnv`);
  }
  let tlsCa: string | undefined;
  if (cfg.tlsCaFile) {
    try {
      tlsCa = readFileSync(cfg.tlsCaFile, 'utf8');
    } catch (err) {
      throw new StateConfigError(`mcp.state.tlsCaFile: cannot read ${cfg.tlsCaFile}: ${(err as Error).message}\nfix: point it at the PEM file of the CA that signed the Redis certificate`);
    }
  }
  return new RedisConnection({ url: cfg.url, password, keyPrefix: cfg.keyPrefix, tlsCa, commandTimeoutMs: cfg.commandTimeoutMs, log: opts.log });
}
