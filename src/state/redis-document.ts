/**
 * One JSON document in Redis shared by every replica, changed by compare-and-set: the incident
 * state (incident/redis-incident-state.ts) and the pins (pins/pin-store.ts).
 *
 * One hash holds the document and a revision number. A change is a script that writes only if
 * the revision is still the one the change was computed from, bumps it and publishes it, all in
 * one atomic step; a conflict re-reads and computes again (changes are rare: operators, and the
 * first sighting of a definition). Every replica subscribes and re-reads at once, so a change
 * reaches all of them well within a second; a re-read every second catches a publication lost
 * while a subscriber was reconnecting.
 *
 * Fail closed: while Redis is away (and until the first read succeeds) `current` throws
 * `STATE_UNAVAILABLE`, so a caller refuses rather than act on a copy that may be missing a change
 * made meanwhile. A stored document that does not parse is unavailable too, with the reason.
 */
import { GatewayError } from '../errors.ts';
import type { RedisConnection } from './redis-connection.ts';

const COMPARE_AND_SET = `
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return -1 end
rev = rev + 1
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'rev', rev)
redis.call('PUBLISH', KEYS[2], rev)
return rev
`;

const MAX_CONFLICTS = 20;

export interface RedisDocumentOptions<T> {
  /** The key and the channel, under the connection's prefix. */
  name: string;
  /** What the document is, for errors ("incident state", "pins"). */
  what: string;
  /** The document when the key does not exist yet. */
  empty: () => T;
  /** Parses the stored text; throws (with the reason) when it is not a valid document. */
  parse: (text: string, where: string) => T;
  /** @default 1000 */
  resyncMs?: number;
}

const unavailable = (detail: string) => new GatewayError('STATE_UNAVAILABLE', 'Shared state is unavailable; try again later', { detail });

export class RedisDocument<T> {
  protected readonly conn: RedisConnection;
  private readonly o: RedisDocumentOptions<T>;
  private readonly key: string;
  private readonly cas: (keys: readonly string[], args: readonly (string | number)[]) => Promise<number>;
  private data: T;
  private rev = -1;
  private synced = false;
  private onChange?: (before: T, after: T) => void;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe?: () => Promise<void>;
  private offReady?: () => void;
  private reading: Promise<void> | undefined;
  /** Bumped by every local write: a read that started before one is stale and dropped. */
  private writes = 0;
  /** Why the last read failed ('' after a good one). */
  private problem = '';

  constructor(conn: RedisConnection, o: RedisDocumentOptions<T>) {
    this.conn = conn;
    this.o = o;
    this.key = conn.key(o.name);
    this.cas = conn.script<number>('document_cas', COMPARE_AND_SET, 2);
    this.data = o.empty();
  }

  get where(): string {
    return `${this.conn.where()} key ${this.key}`;
  }

  /** The revision last read or written (-1 before the first read). */
  get revision(): number {
    return this.rev;
  }

  get current(): Readonly<T> {
    if (!this.synced || !this.conn.ready) throw unavailable(`${this.o.what} (${this.where}): ${this.problem || 'Redis not reachable'}; refusing rather than serving a stale copy`);
    return this.data;
  }

  /** Why the stored document could not be parsed, if that is why it is unavailable. */
  get corrupt(): string | undefined {
    return this.problem || undefined;
  }

  /** Reads the document now; rejects (STATE_UNAVAILABLE) when Redis cannot answer or it does not parse. */
  async load(): Promise<void> {
    const writes = this.writes;
    const [text, rev] = await this.conn.client.hmget(this.key, 'data', 'rev').catch((err: unknown) => {
      this.synced = false;
      throw unavailable(`redis: ${(err as Error).message}`);
    });
    if (writes !== this.writes) return;
    let next: T;
    try {
      next = text ? this.o.parse(text, this.where) : this.o.empty();
    } catch (err) {
      // Not knowing what is in force must not mean running without it.
      this.synced = false;
      this.problem = (err as Error).message;
      throw unavailable(this.problem);
    }
    this.problem = '';
    // Any other revision, lower too: a Redis that lost its data (no persistence) is the truth now,
    // and every replica must agree on it (docs/shared-state.md says to run Redis with AOF).
    const n = Number(rev ?? 0);
    if (n !== this.rev) {
      // Before the first read nothing was applied: the first one is a change from "none".
      const before = this.rev === -1 ? this.o.empty() : this.data;
      this.data = next;
      this.rev = n;
      this.onChange?.(before, next);
    }
    this.synced = true;
  }

  /**
   * Computes the next document from the stored one and writes it if nobody wrote meanwhile (else
   * computes again from theirs). `change` returns undefined to write nothing.
   */
  async change(change: (before: T) => T | undefined): Promise<{ before: T; after: T }> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      await this.load();
      const before = this.data;
      const after = change(before);
      if (after === undefined) return { before, after: before };
      const rev = await this.cas([this.key, this.conn.key(this.o.name)], [this.rev === -1 ? 0 : this.rev, JSON.stringify(after)]);
      if (rev === -1) continue; // another replica changed it meanwhile: compute again from theirs
      this.writes++;
      this.data = after;
      this.rev = rev;
      return { before, after };
    }
    throw new GatewayError('STATE_UNAVAILABLE', 'Shared state is busy; try again', { detail: `${this.o.what}: ${MAX_CONFLICTS} conflicting writes in a row` });
  }

  /** Follows changes from now on (any replica's, and this one's re-reads); what the first read found was applied by the caller already. */
  watch(onChange: (before: T, after: T) => void): void {
    this.onChange = onChange;
    const resync = () => {
      this.reading ??= this.load()
        .catch(() => {})
        .finally(() => (this.reading = undefined));
      return this.reading;
    };
    void this.conn.subscribe(this.o.name, () => void resync()).then((off) => (this.unsubscribe = off));
    this.offReady = this.conn.onReadyChange((ready) => {
      if (ready) void resync();
      else this.synced = false;
    });
    this.timer = setInterval(() => void resync(), this.o.resyncMs ?? 1000).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.offReady?.();
    void this.unsubscribe?.();
  }
}
