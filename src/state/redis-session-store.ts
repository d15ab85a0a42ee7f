/**
 * Sessions in Redis (`mcp.state.url`): one string key per session holding its record
 * (gateway/session-record.ts), with the idle timeout as the key's expiry. Every operation is one
 * command: `SET … PX`, `GETEX … PX` (read and extend together, Redis 6.2+), `GET`, `DEL`.
 *
 * The key is named by SHA-256 of the session id, not the id: a session id is a bearer of the
 * session, and `KEYS`, `MONITOR` or a dump in an operator's hands must not hand out live sessions.
 * (The id inside the record is needed to rebuild the session; Redis is trusted with it like
 * PostgreSQL is trusted with the audit, but it never appears in a key, a channel or a log line.)
 */
import { createHash } from 'node:crypto';
import { parseRecord, serializeRecord, type SessionRecord } from '../gateway/session-record.ts';
import { stateUnavailable, type RedisConnection } from './redis-connection.ts';
import type { SessionStore } from './session-store.ts';

/** How Redis names a session (its key here, its channel in session-bus.ts): never by its id. */
export function sessionDigest(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/** `prefix`: mcp.state.keyPrefix, so several deployments can share one Redis. */
export function sessionKeyOf(prefix: string, id: string): string {
  return `${prefix}session:${sessionDigest(id)}`;
}

/** Every failure (Redis away, a timeout) is STATE_UNAVAILABLE: the request is refused, not guessed. */
async function guarded<T>(op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (err) {
    throw stateUnavailable(err);
  }
}

export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  private readonly conn: RedisConnection;
  private readonly onDamaged: (detail: string) => void;

  /** `conn`: the replica's shared-state connection (state/redis-connection.ts); not closed here. */
  constructor(conn: RedisConnection, opts: { onDamaged?: (detail: string) => void } = {}) {
    this.conn = conn;
    this.onDamaged = opts.onDamaged ?? (() => {});
  }

  async save(rec: SessionRecord, ttlMs: number): Promise<void> {
    await guarded(this.conn.client.set(this.key(rec.id), serializeRecord(rec), 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async touch(id: string, ttlMs: number): Promise<SessionRecord | undefined> {
    return this.read(id, await guarded(this.conn.client.getexBuffer(this.key(id), 'PX', Math.max(1, Math.ceil(ttlMs)))));
  }

  async peek(id: string): Promise<SessionRecord | undefined> {
    return this.read(id, await guarded(this.conn.client.getBuffer(this.key(id))));
  }

  async delete(id: string): Promise<boolean> {
    return (await guarded(this.conn.client.del(this.key(id)))) > 0;
  }

  async close(): Promise<void> {}

  private key(id: string): string {
    return sessionKeyOf(this.conn.keyPrefix, id);
  }

  /** A record that does not parse, or names another session, is treated as absent (and reported). */
  private read(id: string, raw: Buffer | null): SessionRecord | undefined {
    if (raw === null) return undefined;
    const rec = parseRecord(raw);
    if (!rec || rec.id !== id) {
      this.onDamaged(`session record under ${this.key(id)} is damaged or not this version's; the session is treated as ended`);
      return undefined;
    }
    return rec;
  }
}
