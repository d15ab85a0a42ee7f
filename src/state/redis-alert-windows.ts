/**
 * Alert windows in Redis, shared by every replica: the events of a rule are counted across all of
 * them (a burst spread over replicas reaches the threshold once), and an alert group is claimed by
 * one replica per cooldown (raised once, not once per replica). Each is one Lua script.
 *
 * A window is a sorted set of event times, trimmed to the window and to `count` members (bounded
 * like the in-process CountWindow); a claim is a hash {at, held}. Alerts are not enforcement:
 * while Redis is away the engine counts in this process instead (logged once), so an attack during
 * an outage is still alerted on, per replica.
 */
import { randomUUID } from 'node:crypto';
import { MemoryAlertWindows, type AlertWindows, type Claim } from '../monitor/alert-windows.ts';
import type { RedisConnection } from './redis-connection.ts';

const HIT = `
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local n = redis.call('ZCARD', KEYS[1])
if n > count then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - count - 1)
  n = count
end
redis.call('PEXPIRE', KEYS[1], win)
if n >= count then return n end
return -1
`;

const CLAIM = `
local now = tonumber(ARGV[1])
local cooldown = tonumber(ARGV[2])
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if at >= 0 and now - at < cooldown then
  return {0, redis.call('HINCRBY', KEYS[1], 'held', 1)}
end
local held = tonumber(redis.call('HGET', KEYS[1], 'held') or '0')
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'held', 0)
redis.call('PEXPIRE', KEYS[1], math.max(2 * cooldown, 60000))
return {1, held}
`;

export class RedisAlertWindows implements AlertWindows {
  private readonly conn: RedisConnection;
  private readonly runHit: (keys: readonly string[], args: readonly (string | number)[]) => Promise<number>;
  private readonly runClaim: (keys: readonly string[], args: readonly (string | number)[]) => Promise<[number, number]>;
  private readonly local = new MemoryAlertWindows();
  private readonly log: (line: string) => void;
  private degraded = false;

  constructor(conn: RedisConnection, opts: { log: (line: string) => void }) {
    this.conn = conn;
    this.log = opts.log;
    this.runHit = conn.script<number>('alert_hit', HIT, 1);
    this.runClaim = conn.script<[number, number]>('alert_claim', CLAIM, 1);
  }

  async hit(key: string, count: number, windowMs: number, now: number): Promise<number | undefined> {
    try {
      const n = await this.runHit([this.conn.key('alert', 'w', key)], [now, windowMs, count, `${now}:${randomUUID()}`]);
      this.recovered();
      return n >= 0 ? n : undefined;
    } catch (err) {
      this.degrade(err);
      return this.local.hit(key, count, windowMs, now);
    }
  }

  async claim(group: string, cooldownMs: number, now: number): Promise<Claim> {
    try {
      const [raise, held] = await this.runClaim([this.conn.key('alert', 'c', group)], [now, cooldownMs]);
      this.recovered();
      return { raise: raise === 1, held };
    } catch (err) {
      this.degrade(err);
      return this.local.claim(group, cooldownMs, now);
    }
  }

  private degrade(err: unknown): void {
    if (this.degraded) return;
    this.degraded = true;
    this.log(`alerts: shared alert windows unavailable (${(err as Error).message}); counting in this replica only until Redis is back`);
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log('alerts: shared alert windows are back');
  }
}
