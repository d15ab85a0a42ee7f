/**
 * The quarantine store in Redis (`mcp.state.url`), shared by every replica: an item withheld on
 * one replica is listed, shown and released through any other, or by `portcullis quarantine
 * --config` talking to Redis itself.
 *
 * One hash per item (`<prefix>quarantine:item:<id>`: the summary, the original, its size, the
 * release), one sorted set indexing them by time (`<prefix>quarantine:index`) and the total
 * (`<prefix>quarantine:bytes`). `put` is one Lua script: it drops the oldest items until the new
 * one fits under `maxTotalBytes` (never the new one), then stores it, so concurrent replicas can
 * never push the total past the cap. A release is one script too (the first release is kept).
 * Items have no TTL: the byte cap bounds them (docs/shared-state.md).
 *
 * Redis away: every operation rejects with STATE_UNAVAILABLE; the result stage then withholds the
 * result anyway and audits that the original could not be kept (checks/inspect-result.ts).
 */
import { stateUnavailable, type RedisConnection } from '../state/redis-connection.ts';
import { parseStored as parse } from '../state/stored-json.ts';
import { newQuarantineItem, QUARANTINE_ID, type QuarantineItem, type QuarantineLimits, type QuarantineMeta, type QuarantineStore, type QuarantineSummary } from './quarantine-store.ts';

// KEYS: index, total, item. ARGV: id, time (µs), summary JSON, original, maxTotalBytes, item key prefix.
const PUT = `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local size = #ARGV[3] + #ARGV[4]
local max = tonumber(ARGV[5])
local total = tonumber(redis.call('GET', KEYS[2]) or '0')
while total + size > max do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #oldest == 0 then break end
  local k = ARGV[6] .. oldest[1]
  total = total - tonumber(redis.call('HGET', k, 'size') or '0')
  redis.call('DEL', k)
  redis.call('ZREM', KEYS[1], oldest[1])
end
if total < 0 or redis.call('ZCARD', KEYS[1]) == 0 then total = 0 end
-- Strictly after the newest item, even within one millisecond: the order is the order of puts.
local score = tonumber(ARGV[2])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) >= score then score = tonumber(newest[2]) + 1 end
redis.call('HSET', KEYS[3], 'summary', ARGV[3], 'original', ARGV[4], 'size', size)
redis.call('ZADD', KEYS[1], score, ARGV[1])
redis.call('SET', KEYS[2], total + size)
return total + size
`;

// KEYS: item. ARGV: the release JSON.
const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'released', ARGV[1])
return redis.call('HMGET', KEYS[1], 'summary', 'original', 'released')
`;

type Fields = [summary: string | null, original: string | null, released: string | null];

export class RedisQuarantineStore implements QuarantineStore {
  private readonly conn: RedisConnection;
  private readonly limits: QuarantineLimits;
  private readonly putScript: (keys: readonly string[], args: readonly (string | number)[]) => Promise<number>;
  private readonly releaseScript: (keys: readonly string[], args: readonly (string | number)[]) => Promise<Fields | null>;

  constructor(conn: RedisConnection, limits: QuarantineLimits) {
    this.conn = conn;
    this.limits = limits;
    this.putScript = conn.script<number>('quarantine_put', PUT, 3);
    this.releaseScript = conn.script<Fields | null>('quarantine_release', RELEASE, 1);
  }

  /** Where items are kept, for messages: `redis://host:port/db prefix quarantine:`. */
  get where(): string {
    return `${this.conn.where()} ${this.conn.key('quarantine:')}`;
  }

  async put(meta: QuarantineMeta, original: string): Promise<string> {
    const { original: kept, ...summary } = newQuarantineItem(meta, original, this.limits);
    const stored = await this.putScript(
      [this.conn.key('quarantine', 'index'), this.conn.key('quarantine', 'bytes'), this.item(summary.id)],
      [summary.id, Date.parse(summary.time) * 1000, JSON.stringify(summary), kept, this.limits.maxTotalBytes, this.conn.key('quarantine', 'item', '')],
    );
    if (stored === -1) throw stateUnavailable(new Error(`quarantine id ${summary.id} already taken`));
    return summary.id;
  }

  async list(): Promise<QuarantineSummary[]> {
    const rows = await this.run(async () => {
      const ids = await this.conn.client.zrevrange(this.conn.key('quarantine', 'index'), 0, -1);
      const p = this.conn.client.pipeline();
      for (const id of ids) p.hmget(this.item(id), 'summary', 'released');
      return ((await p.exec()) ?? []).map(([err, v]) => {
        if (err) throw err;
        return v as [string | null, string | null];
      });
    });
    return rows.flatMap(([summary, released]) => {
      const s = parse<QuarantineSummary>(summary);
      if (!s) return []; // dropped between the two reads
      const r = parse<QuarantineItem['released']>(released);
      return [r ? { ...s, released: r } : s];
    });
  }

  async get(id: string): Promise<QuarantineItem | undefined> {
    if (!QUARANTINE_ID.test(id)) return undefined;
    return toItem((await this.run(() => this.conn.client.hmget(this.item(id), 'summary', 'original', 'released'))) as Fields);
  }

  async release(id: string, by: string): Promise<QuarantineItem | undefined> {
    if (!QUARANTINE_ID.test(id)) return undefined;
    const fields = await this.releaseScript([this.item(id)], [JSON.stringify({ time: new Date().toISOString(), by })]);
    return fields ? toItem(fields) : undefined;
  }

  private item(id: string): string {
    return this.conn.key('quarantine', 'item', id);
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw stateUnavailable(err);
    }
  }
}

function toItem([summary, original, released]: Fields): QuarantineItem | undefined {
  const s = parse<QuarantineSummary>(summary);
  if (!s || original === null) return undefined;
  const r = parse<QuarantineItem['released']>(released);
  return { ...s, ...(r ? { released: r } : {}), original };
}
