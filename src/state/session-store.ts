/**
 * Where stateful sessions live between requests (gateway/session-record.ts): in this process, or
 * in Redis when `mcp.state.url` is set (redis-session-store.ts), so that every replica behind a
 * load balancer finds every session.
 *
 * A record lives `ttlMs` after it was last saved or touched: the session idle timeout. Every
 * operation is one round trip on a network store; `touch` reads and extends in one command.
 */
import type { SessionRecord } from '../gateway/session-record.ts';

export interface SessionStore {
  /** Shared with other replicas (a replica may meet sessions it did not create). */
  readonly shared: boolean;
  /** Write the record (create or replace); it expires `ttlMs` from now. */
  save(rec: SessionRecord, ttlMs: number): Promise<void>;
  /** The record, its expiry pushed to `ttlMs` from now; undefined when it does not exist (ended, expired). */
  touch(id: string, ttlMs: number): Promise<SessionRecord | undefined>;
  /** The record without extending it. */
  peek(id: string): Promise<SessionRecord | undefined>;
  /** End the session everywhere; true if it existed. */
  delete(id: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Past this many live sessions a new one is refused (each costs memory until it idles out). */
export const DEFAULT_MAX_SESSIONS = 100_000;

/** One process: a Map with expiry and a hard cap. */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  private readonly records = new Map<string, { rec: SessionRecord; expiresMs: number }>();
  private readonly maxSessions: number;
  private readonly clock: () => number;

  constructor(opts: { maxSessions?: number; clock?: () => number } = {}) {
    this.maxSessions = opts.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.clock = opts.clock ?? Date.now;
  }

  /** Records held, expired ones not yet dropped included. */
  get size(): number {
    return this.records.size;
  }

  async save(rec: SessionRecord, ttlMs: number): Promise<void> {
    const now = this.clock();
    if (!this.records.has(rec.id) && this.records.size >= this.maxSessions) {
      for (const [id, e] of this.records) if (e.expiresMs <= now) this.records.delete(id);
      if (this.records.size >= this.maxSessions) throw new Error(`session store full (${this.maxSessions} live sessions)`);
    }
    this.records.set(rec.id, { rec, expiresMs: now + ttlMs });
  }

  async touch(id: string, ttlMs: number): Promise<SessionRecord | undefined> {
    const e = this.live(id);
    if (e) e.expiresMs = this.clock() + ttlMs;
    return e?.rec;
  }

  async peek(id: string): Promise<SessionRecord | undefined> {
    return this.live(id)?.rec;
  }

  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  async close(): Promise<void> {
    this.records.clear();
  }

  private live(id: string) {
    const e = this.records.get(id);
    if (e && e.expiresMs <= this.clock()) {
      this.records.delete(id);
      return undefined;
    }
    return e;
  }
}
