/**
 * Quota counters in Redis, shared by every replica: `consumeQuota` is one Lua script with the
 * semantics of policy/quota.ts (UTC-aligned fixed windows, a call counted in every window or in
 * none). A counter is a hash {<window>:s = window start, <window>:c = count} with a PEXPIRE of
 * `quotaTtlMs(limits)`. Counters survive a gateway restart as long as Redis keeps its data
 * (persistence is the Redis operator's choice: see docs/shared-state.md).
 */
import { quotaTtlMs, WINDOWS, type QuotaLimit } from '../policy/quota.ts';
import type { QuotaResult, QuotaStore } from './quota-store.ts';
import type { RedisConnection } from './redis-connection.ts';

const CONSUME_QUOTA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local spend = ARGV[3] == '1'
local n = (#ARGV - 3) / 3
local starts, counts = {}, {}
for i = 1, n do
  local w = ARGV[1 + i * 3]
  local ms = tonumber(ARGV[2 + i * 3])
  local start = now - (now % ms)
  local ps = tonumber(redis.call('HGET', KEYS[1], w .. ':s') or '-1')
  if ps >= start then
    starts[i] = ps
    counts[i] = tonumber(redis.call('HGET', KEYS[1], w .. ':c') or '0')
  else
    starts[i] = start
    counts[i] = 0
  end
end
for i = 1, n do
  local ms = tonumber(ARGV[2 + i * 3])
  if counts[i] >= tonumber(ARGV[3 + i * 3]) then
    local out = {0, i, string.format('%.17g', math.max(0, starts[i] + ms - now))}
    for j = 1, n do out[#out + 1] = counts[j] end
    return out
  end
end
local out = {1, 0, '0'}
for i = 1, n do
  counts[i] = counts[i] + 1
  out[#out + 1] = counts[i]
  if spend then
    local w = ARGV[1 + i * 3]
    redis.call('HSET', KEYS[1], w .. ':s', string.format('%.17g', starts[i]), w .. ':c', counts[i])
  end
end
if spend then redis.call('PEXPIRE', KEYS[1], ttl) end
return out
`;

export class RedisQuotaStore implements QuotaStore {
  private readonly conn: RedisConnection;
  private readonly run: (keys: readonly string[], args: readonly (string | number)[]) => Promise<(number | string)[]>;

  constructor(conn: RedisConnection) {
    this.conn = conn;
    this.run = conn.script<(number | string)[]>('consume_quota', CONSUME_QUOTA, 1);
  }

  async consumeQuota(key: string, limits: readonly QuotaLimit[], nowMs: number, opts: { spend?: boolean } = {}): Promise<QuotaResult> {
    const args: (string | number)[] = [nowMs, quotaTtlMs(limits), opts.spend === false ? '0' : '1'];
    for (const l of limits) args.push(l.window, WINDOWS[l.window], l.max);
    const r = await this.run([this.conn.key('quota', key)], args);
    const counts: QuotaResult['counts'] = {};
    limits.forEach((l, i) => (counts[l.window] = Number(r[3 + i])));
    const exceeded = r[0] === 1 ? undefined : limits[Number(r[1]) - 1];
    return { allowed: r[0] === 1, retryAfterMs: Number(r[2]), exceeded, counts };
  }

  close(): void {}
}
