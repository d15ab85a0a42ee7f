/**
 * Pending approvals in Redis (`mcp.state.url`), shared by every replica: a call waiting on one
 * replica is listed, approved or refused through any other (its admin API, the console, or
 * `portcullis approvals --config` talking to Redis itself), and the waiting replica is told.
 *
 * One hash per approval (`<prefix>approval:<id>`: the request, then the decision) and one sorted
 * set of those still pending, by expiry (`<prefix>approval:pending`). Two Lua scripts, each one
 * atomic step: `request` drops expired entries from the index, refuses past the pending cap and
 * stores the request; `decide` writes the decision only if there is none yet (the first decision
 * wins, a timeout included), takes it off the index and publishes it. Every key has a TTL: a
 * request lives until its expiry plus DECIDED_KEEP_MS, a decision DECIDED_KEEP_MS after it was
 * made, so nothing is left behind by a replica that died with calls waiting.
 *
 * `wait` hears decisions on the `<prefix>approvals` channel and, since pub/sub loses what is
 * published while a subscriber reconnects, also re-reads every waiting id on each reconnection and
 * every `resyncMs`. Redis away: `request` rejects with STATE_UNAVAILABLE (the call is refused,
 * never approved), and a waiter keeps waiting until its timeout refuses it.
 */
import { stateUnavailable, type RedisConnection } from '../state/redis-connection.ts';
import { parseStored as parse } from '../state/stored-json.ts';
import {
  approvalDecisionSchema, ApprovalStoreError, DECIDED_KEEP_MS, MAX_PENDING, pendingApprovalSchema,
  type ApprovalDecision, type ApprovalStore, type DecideOutcome, type PendingApproval,
} from './approval-store.ts';
import { ApprovalWaiters } from './approval-waiters.ts';

const CHANNEL = 'approvals';

// KEYS: pending index, item. ARGV: id, now (ms), expiry (ms), request JSON, max pending, keep (ms).
const REQUEST = `
local now, expires, keep = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[5]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('HSET', KEYS[2], 'request', ARGV[4])
redis.call('PEXPIREAT', KEYS[2], expires + keep)
redis.call('ZADD', KEYS[1], expires, ARGV[1])
if redis.call('PTTL', KEYS[1]) < expires + keep - now then redis.call('PEXPIRE', KEYS[1], expires + keep - now) end
return 1
`;

// KEYS: pending index, item, channel. ARGV: id, decision JSON, keep (ms).
const DECIDE = `
local r = redis.call('HMGET', KEYS[2], 'request', 'decision')
if not r[1] then return false end
if r[2] then return {r[1], r[2], 0} end
redis.call('HSET', KEYS[2], 'decision', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[3], ARGV[1] .. ' ' .. ARGV[2])
return {r[1], ARGV[2], 1}
`;

type Script<T> = (keys: readonly string[], args: readonly (string | number)[]) => Promise<T>;

export class RedisApprovalStore implements ApprovalStore {
  private readonly conn: RedisConnection;
  private readonly requestScript: Script<number>;
  private readonly decideScript: Script<[string, string, number] | null>;
  private readonly maxPending: number;
  private readonly resyncMs: number;
  private readonly waiters = new ApprovalWaiters();
  private watching: Promise<void> | undefined;
  private unsubscribe?: () => Promise<void>;
  private offReady?: () => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(conn: RedisConnection, opts: { maxPending?: number; resyncMs?: number } = {}) {
    this.conn = conn;
    this.requestScript = conn.script<number>('approval_request', REQUEST, 2);
    this.decideScript = conn.script<[string, string, number] | null>('approval_decide', DECIDE, 3);
    this.maxPending = opts.maxPending ?? MAX_PENDING;
    this.resyncMs = opts.resyncMs ?? 1000;
  }

  async request(p: PendingApproval): Promise<void> {
    const now = Date.now();
    const done = await this.requestScript([this.index(), this.item(p.id)], [p.id, now, Date.parse(p.expiresAt), JSON.stringify(p), this.maxPending, DECIDED_KEEP_MS]);
    if (done === 0) throw new ApprovalStoreError(`too many approvals pending (${this.maxPending})`);
    if (done === -1) throw new ApprovalStoreError(`approval ${p.id} exists already`);
  }

  async decide(id: string, d: ApprovalDecision): Promise<DecideOutcome | undefined> {
    const out = await this.decideScript([this.index(), this.item(id), this.conn.key(CHANNEL)], [id, JSON.stringify(d), DECIDED_KEEP_MS]);
    if (!out) return undefined;
    const request = pendingApprovalSchema.safeParse(parse(out[0]));
    const decision = approvalDecisionSchema.safeParse(parse(out[1]));
    if (!request.success || !decision.success) throw stateUnavailable(new Error(`approval ${id}: the stored value is damaged`));
    this.waiters.wake(id, decision.data);
    return { decision: decision.data, first: out[2] === 1, request: request.data };
  }

  wait(id: string, signal: AbortSignal): Promise<ApprovalDecision | undefined> {
    const waiting = this.waiters.add(id, signal);
    // Decided before the subscription was in place (by another replica, between request and wait).
    if (this.waiters.has(id)) void this.watch().then(() => this.check([id]));
    return waiting;
  }

  async list(): Promise<PendingApproval[]> {
    const now = Date.now();
    try {
      const ids = await this.conn.client.zrangebyscore(this.index(), `(${now}`, '+inf');
      const p = this.conn.client.pipeline();
      for (const id of ids) p.hget(this.item(id), 'request');
      const rows = (await p.exec()) ?? [];
      return rows
        .map(([err, text]) => (err ? undefined : pendingApprovalSchema.safeParse(parse(text as string | null)).data))
        .filter((x): x is PendingApproval => x !== undefined && Date.parse(x.expiresAt) > now)
        .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : 1));
    } catch (err) {
      throw stateUnavailable(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.offReady?.();
    await this.unsubscribe?.();
  }

  private index(): string {
    return this.conn.key('approval', 'pending');
  }

  private item(id: string): string {
    return this.conn.key('approval', id);
  }

  /** Subscribes (once) to decisions, re-reads on every reconnection and every resyncMs. */
  private watch(): Promise<void> {
    this.watching ??= (async () => {
      this.offReady = this.conn.onReadyChange((ready) => {
        if (ready) void this.check(this.waiters.ids());
      });
      this.timer = setInterval(() => {
        if (this.waiters.size) void this.check(this.waiters.ids());
      }, this.resyncMs).unref();
      this.unsubscribe = await this.conn.subscribe(CHANNEL, (msg) => {
        const space = msg.indexOf(' ');
        const id = msg.slice(0, space);
        if (space < 0 || !this.waiters.has(id)) return;
        const d = approvalDecisionSchema.safeParse(parse(msg.slice(space + 1)));
        if (d.success) this.waiters.wake(id, d.data);
      });
    })();
    return this.watching;
  }

  /** Reads the decisions of `ids` and wakes their waiters; Redis away: they keep waiting (their timeout refuses). */
  private async check(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const p = this.conn.client.pipeline();
    for (const id of ids) p.hget(this.item(id), 'decision');
    const rows = await p.exec().catch(() => null);
    rows?.forEach(([err, text], i) => {
      const d = err ? undefined : approvalDecisionSchema.safeParse(parse(text as string | null)).data;
      if (d) this.waiters.wake(ids[i]!, d);
    });
  }
}
