/**
 * The incident state (lockdown, revocations, disabled servers) in Redis, shared by every replica
 * (`mcp.state.url`).
 *
 * One hash holds the JSON document and a revision number. A change is a compare-and-set script:
 * it writes only if the revision is still the one the change was computed from, bumps it and
 * publishes it, all in one atomic step (a conflict re-reads and computes again; changes are rare
 * and made by operators). Every replica subscribes and re-reads at once, so a lockdown reaches
 * all of them well within a second; a re-read every second catches a publication lost while a
 * subscriber was reconnecting.
 *
 * Fail closed: while Redis is away (and until the first read succeeds) `current` throws
 * `STATE_UNAVAILABLE`, so the checks refuse calls instead of serving a copy that may be missing
 * a lockdown or a revocation made meanwhile. On reconnection the state is read again first.
 */
import { GatewayError } from '../errors.ts';
import type { RedisConnection } from '../state/redis-connection.ts';
import { EMPTY_STATE, mutateIncident, parseIncident, type IncidentData, type IncidentStore } from './incident-state.ts';

const CHANNEL = 'incident';

const COMPARE_AND_SET = `
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= tonumber(ARGV[1]) then return -1 end
rev = rev + 1
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'rev', rev)
redis.call('PUBLISH', KEYS[2], rev)
return rev
`;

const MAX_CONFLICTS = 20;

export class RedisIncidentState implements IncidentStore {
  private readonly conn: RedisConnection;
  private readonly key: string;
  private readonly cas: (keys: readonly string[], args: readonly (string | number)[]) => Promise<number>;
  private readonly resyncMs: number;
  private data: IncidentData = structuredClone(EMPTY_STATE);
  private rev = -1;
  private synced = false;
  private onChange?: (before: IncidentData, after: IncidentData) => void;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe?: () => Promise<void>;
  private offReady?: () => void;
  private reading: Promise<void> | undefined;
  /** Bumped by every local write: a read that started before one is stale and dropped. */
  private writes = 0;
  /** Why the last read failed ('' after a good one). */
  private problem = '';

  constructor(conn: RedisConnection, opts: { resyncMs?: number } = {}) {
    this.conn = conn;
    this.key = conn.key('incident');
    this.cas = conn.script<number>('incident_cas', COMPARE_AND_SET, 2);
    this.resyncMs = opts.resyncMs ?? 1000;
  }

  get where(): string {
    return `${this.conn.where()} key ${this.key}`;
  }

  get current(): Readonly<IncidentData> {
    if (!this.synced || !this.conn.ready) throw new GatewayError('STATE_UNAVAILABLE', 'Shared state is unavailable; try again later', { detail: `incident state (${this.where}): ${this.problem || 'Redis not reachable'}; refusing rather than serving a stale copy` });
    return this.data;
  }

  /** Why the stored state could not be parsed, if that is why it is unavailable. */
  get corrupt(): string | undefined {
    return this.problem || undefined;
  }

  /** Reads the state now; rejects (STATE_UNAVAILABLE) when Redis cannot answer. */
  async load(): Promise<void> {
    const writes = this.writes;
    const [text, rev] = await this.conn.client.hmget(this.key, 'data', 'rev').catch((err: unknown) => {
      this.synced = false;
      throw new GatewayError('STATE_UNAVAILABLE', 'Shared state is unavailable; try again later', { detail: `redis: ${(err as Error).message}` });
    });
    if (writes !== this.writes) return;
    let next: IncidentData | undefined;
    try {
      next = text ? parseIncident(text, this.where) : structuredClone(EMPTY_STATE);
    } catch (err) {
      // Not knowing whether a lockdown is in force must not mean running without one.
      this.synced = false;
      this.problem = (err as Error).message;
      throw new GatewayError('STATE_UNAVAILABLE', 'Shared state is unavailable; try again later', { detail: this.problem });
    }
    this.problem = '';
    // Any other revision, lower too: a Redis that lost its data (no persistence) is the truth now,
    // and every replica must agree on it (docs/shared-state.md says to run Redis with AOF).
    const n = Number(rev ?? 0);
    if (n !== this.rev) {
      // Before the first read nothing was applied: the first one is a change from "none".
      const before = this.rev === -1 ? EMPTY_STATE : this.data;
      this.data = next;
      this.rev = n;
      this.onChange?.(before, next);
    }
    this.synced = true;
  }

  async update(mutate: (s: IncidentData) => void): Promise<{ before: IncidentData; after: IncidentData }> {
    for (let i = 0; i < MAX_CONFLICTS; i++) {
      await this.load();
      const before = this.data;
      const after = mutateIncident(before, mutate);
      const rev = await this.cas([this.key, this.conn.key(CHANNEL)], [this.rev === -1 ? 0 : this.rev, JSON.stringify(after)]);
      if (rev === -1) continue; // another replica changed it meanwhile: compute again from theirs
      this.writes++;
      this.data = after;
      this.rev = rev;
      return { before, after };
    }
    throw new GatewayError('STATE_UNAVAILABLE', 'Shared state is busy; try again', { detail: `incident state: ${MAX_CONFLICTS} conflicting writes in a row` });
  }

  /** Follows changes from now on; what the first read found was applied by the caller already, if it succeeded. */
  watch(onChange: (before: IncidentData, after: IncidentData) => void): void {
    this.onChange = onChange;
    const resync = () => {
      this.reading ??= this.load()
        .catch(() => {})
        .finally(() => (this.reading = undefined));
      return this.reading;
    };
    void this.conn.subscribe(CHANNEL, () => void resync()).then((off) => (this.unsubscribe = off));
    this.offReady = this.conn.onReadyChange((ready) => {
      if (ready) void resync();
      else this.synced = false;
    });
    this.timer = setInterval(() => void resync(), this.resyncMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.offReady?.();
    void this.unsubscribe?.();
  }
}
