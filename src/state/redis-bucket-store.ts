/**
 * Rate-limit buckets in Redis, shared by every replica: all the buckets of one call are one Lua
 * script (one round trip), so a burst spread over replicas is limited once. The script is policy/token-bucket.ts line for line (the
 * contract test runs both on the same calls); the clock is the caller's `nowMs`, so replicas need
 * synchronized clocks (NTP), as they do for token expiry anyway.
 *
 * A bucket is a hash {t: tokens, u: updatedMs, b: blockedUntilMs} with a PEXPIRE of
 * `bucketTtlMs(cfg)`; numbers travel as strings with 17 significant digits (Lua numbers are
 * doubles, a Redis integer reply would truncate them).
 */
import { bucketTtlMs, type TokenBucketConfig } from '../policy/token-bucket.ts';
import type { RedisConnection } from './redis-connection.ts';
import type { BucketTake, StateStore, TakeResult } from './store.ts';

// KEYS: one bucket each; ARGV: now, then per bucket burst, rate per ms, cooldown ms, ttl ms.
// Returns per bucket tried {allowed, retryAfterMs}, stopping at the first refusal.
const TAKE_TOKENS = `
local now = tonumber(ARGV[1])
local eps = 1e-9
local function num(x) return string.format('%.17g', x) end
local out = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local burst = tonumber(ARGV[4 * i - 2])
  local rate = tonumber(ARGV[4 * i - 1])
  local cooldown = tonumber(ARGV[4 * i])
  local ttl = tonumber(ARGV[4 * i + 1])
  local s = redis.call('HMGET', key, 't', 'u', 'b')
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
    redis.call('PEXPIRE', key, ttl)
    out[#out + 1] = 0
    out[#out + 1] = num(wait(blocked))
    return out
  end
  if tk >= 1 - eps then
    redis.call('HSET', key, 't', num(math.max(0, tk - 1)), 'u', num(upd), 'b', '0')
    redis.call('PEXPIRE', key, ttl)
    out[#out + 1] = 1
    out[#out + 1] = '0'
  else
    local bu = now + cooldown
    redis.call('HSET', key, 't', num(tk), 'u', num(upd), 'b', num(bu))
    redis.call('PEXPIRE', key, ttl)
    out[#out + 1] = 0
    out[#out + 1] = num(wait(bu))
    return out
  end
end
return out
`;

export class RedisBucketStore implements StateStore {
  private readonly conn: RedisConnection;
  private readonly run: (keys: readonly string[], args: readonly (string | number)[]) => Promise<(number | string)[]>;

  constructor(conn: RedisConnection) {
    this.conn = conn;
    // numberOfKeys is per call (the buckets of one call vary): EVALSHA with the count first.
    this.run = conn.script<(number | string)[]>('take_tokens', TAKE_TOKENS, null);
  }

  async takeToken(key: string, cfg: TokenBucketConfig, nowMs: number): Promise<TakeResult> {
    return (await this.takeTokens([{ key, cfg }], nowMs))[0]!;
  }

  async takeTokens(takes: readonly BucketTake[], nowMs: number): Promise<TakeResult[]> {
    if (takes.length === 0) return [];
    const args: (string | number)[] = [nowMs];
    for (const { cfg } of takes) args.push(cfg.burstSize, cfg.requestsPerMinute / 60_000, cfg.cooldownSeconds * 1000, bucketTtlMs(cfg));
    const r = await this.run([String(takes.length), ...takes.map((t) => this.conn.key('rl', t.key))], args);
    const out: TakeResult[] = [];
    for (let i = 0; i < r.length; i += 2) out.push({ allowed: r[i] === 1, retryAfterMs: Number(r[i + 1]) });
    return out;
  }

  async delete(key: string): Promise<void> {
    await this.conn.client.del(this.conn.key('rl', key)).catch(() => {});
  }

  close(): void {}
}
