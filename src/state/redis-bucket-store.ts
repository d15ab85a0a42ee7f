/**
 * Rate-limit buckets in Redis, shared by every replica: `takeToken` is one Lua script, so a burst
 * spread over replicas is limited once. The script is policy/token-bucket.ts line for line (the
 * contract test runs both on the same calls); the clock is the caller's `nowMs`, so replicas need
 * synchronized clocks (NTP), as they do for token expiry anyway.
 *
 * A bucket is a hash {t: tokens, u: updatedMs, b: blockedUntilMs} with a PEXPIRE of
 * `bucketTtlMs(cfg)`; numbers travel as strings with 17 significant digits (Lua numbers are
 * doubles, a Redis integer reply would truncate them).
 */
import { bucketTtlMs, type TokenBucketConfig } from '../policy/token-bucket.ts';
import type { RedisConnection } from './redis-connection.ts';
import type { StateStore, TakeResult } from './store.ts';

const TAKE_TOKEN = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cooldown = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local ttl = tonumber(ARGV[5])
local eps = 1e-9
local function num(x) return string.format('%.17g', x) end
local s = redis.call('HMGET', KEYS[1], 't', 'u', 'b')
local tokens, updated, blocked = burst, now, 0
if s[1] then tokens = tonumber(s[1]); updated = tonumber(s[2]); blocked = tonumber(s[3]) end
local upd = math.max(updated, now)
local tk = math.min(burst, tokens + math.max(0, now - updated) * rate)
local function wait(blk)
  local at = now
  if tk < 1 - eps then at = now + (1 - tk) / rate end
  return math.max(blk, at) - now
end
if now < blocked then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {0, num(wait(blocked))}
end
if tk >= 1 - eps then
  redis.call('HSET', KEYS[1], 't', num(math.max(0, tk - 1)), 'u', num(upd), 'b', '0')
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, '0'}
end
local bu = now + cooldown
redis.call('HSET', KEYS[1], 't', num(tk), 'u', num(upd), 'b', num(bu))
redis.call('PEXPIRE', KEYS[1], ttl)
return {0, num(wait(bu))}
`;

export class RedisBucketStore implements StateStore {
  private readonly conn: RedisConnection;
  private readonly run: (keys: readonly string[], args: readonly (string | number)[]) => Promise<[number, string]>;

  constructor(conn: RedisConnection) {
    this.conn = conn;
    this.run = conn.script<[number, string]>('take_token', TAKE_TOKEN, 1);
  }

  async takeToken(key: string, cfg: TokenBucketConfig, nowMs: number): Promise<TakeResult> {
    const [allowed, retry] = await this.run([this.conn.key('rl', key)], [cfg.burstSize, cfg.requestsPerMinute / 60_000, cfg.cooldownSeconds * 1000, nowMs, bucketTtlMs(cfg)]);
    return { allowed: allowed === 1, retryAfterMs: Number(retry) };
  }

  async delete(key: string): Promise<void> {
    await this.conn.client.del(this.conn.key('rl', key)).catch(() => {});
  }

  close(): void {}
}
