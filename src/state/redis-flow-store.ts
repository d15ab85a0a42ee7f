/**
 * Session taint of flow rules in Redis, shared by every replica: a session served by replica A
 * and then B carries its taint along. A key is a set of labels with a PEXPIRE of the session idle
 * time; reading it renews that (an active session keeps its taint), each in one script.
 * A read that fails throws `STATE_UNAVAILABLE`: the call is refused, never treated as untainted.
 */
import type { FlowStore } from '../policy/flow-rules.ts';
import type { RedisConnection } from './redis-connection.ts';

const READ = `
local m = redis.call('SMEMBERS', KEYS[1])
if #m > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return m
`;

const TAINT = `
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/** Labels come from the configuration, so a set holds few; this bounds a misconfiguration. */
const MAX_LABELS = 256;

export class RedisFlowStore implements FlowStore {
  private readonly conn: RedisConnection;
  private readonly ttlMs: number;
  private readonly read: (keys: readonly string[], args: readonly (string | number)[]) => Promise<string[]>;
  private readonly add: (keys: readonly string[], args: readonly (string | number)[]) => Promise<number>;

  constructor(conn: RedisConnection, opts: { ttlMs: number }) {
    this.conn = conn;
    this.ttlMs = opts.ttlMs;
    this.read = conn.script<string[]>('flow_read', READ, 1);
    this.add = conn.script<number>('flow_taint', TAINT, 1);
  }

  async labels(key: string): Promise<ReadonlySet<string>> {
    return new Set(await this.read([this.conn.key('flow', key)], [this.ttlMs]));
  }

  async taint(key: string, labels: readonly string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.add([this.conn.key('flow', key)], [this.ttlMs, ...labels.slice(0, MAX_LABELS)]);
  }

  async forget(key: string): Promise<void> {
    await this.conn.client.del(this.conn.key('flow', key)).catch(() => {});
  }
}
