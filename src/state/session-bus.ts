/**
 * The replicas holding one session talk over Redis pub/sub, one channel per session.
 *
 * Behind a load balancer without stickiness, the POSTs, the GET stream and the DELETE of one
 * session land on different replicas. What must cross between them:
 * - `stream`: a message for the session's GET stream (a list change, a resource update, a log
 *   line) produced on a replica that does not hold that stream;
 * - `client`: a client's answer to a server's request (sampling, elicitation, roots) or its
 *   cancellation of a call, arriving on a replica other than the one that asked or runs the call;
 * - `ended`: the session was deleted, expired or revoked: every replica drops its copy.
 *
 * Every replica that holds a session locally is subscribed to its channel (`join`) and acts on a
 * message only if it holds what the message is for; the sender never acts on its own message.
 * Bounded: a message over `maxBytes` is not published (and reported), each publish times out, and
 * incoming messages are parsed with the untrusted-JSON limits. Delivery is at most once, like the
 * connection it stands in for: a message for a stream nobody holds is dropped, as it is on one
 * replica whose client has no GET stream open.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { sessionDigest } from './redis-session-store.ts';

export type BusMessage = { op: 'stream'; message: string } | { op: 'client'; message: string } | { op: 'ended'; reason: string };

export type BusHandler = (m: BusMessage) => void;

export interface SessionBus {
  /** This process, as named on the bus (and in session records). */
  readonly replica: string;
  /** This replica holds the session: hear what other replicas send it. */
  join(sessionId: string, handler: BusHandler): void;
  leave(sessionId: string): void;
  /** Tell the other replicas holding the session; resolves to how many replicas received it. */
  publish(sessionId: string, m: BusMessage): Promise<number>;
  close(): Promise<void>;
}

const PUBLISH_TIMEOUT_MS = 2000;

export function newReplicaId(): string {
  return randomBytes(6).toString('hex');
}

export class RedisSessionBus implements SessionBus {
  readonly replica: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, BusHandler>();
  private readonly maxBytes: number;
  private readonly log: (line: string) => void;
  private readonly prefix: string;

  /** `redis`: the replica's connection (publishes); a duplicate of it subscribes. `prefix`: mcp.state.keyPrefix. */
  constructor(redis: Redis, opts: { replica: string; maxBytes: number; log: (line: string) => void; prefix?: string }) {
    this.replica = opts.replica;
    this.prefix = opts.prefix ?? 'portcullis:';
    this.pub = redis;
    this.sub = redis.duplicate();
    this.maxBytes = opts.maxBytes;
    this.log = opts.log;
    // Errors are the connection's to report (reconnects with back-off, /readyz); not a crash here.
    this.sub.on('error', () => {});
    this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.receive(channel.toString(), payload));
  }

  join(sessionId: string, handler: BusHandler): void {
    const channel = this.channel(sessionId);
    const had = this.handlers.has(channel);
    this.handlers.set(channel, handler);
    if (!had) void this.sub.subscribe(channel).catch((err: Error) => this.log(`session bus: subscribe failed (${err.message}); this replica misses messages for one session until it reconnects`));
  }

  leave(sessionId: string): void {
    const channel = this.channel(sessionId);
    if (this.handlers.delete(channel)) void this.sub.unsubscribe(channel).catch(() => {});
  }

  async publish(sessionId: string, m: BusMessage): Promise<number> {
    const payload = JSON.stringify({ ...m, from: this.replica });
    if (Buffer.byteLength(payload) > this.maxBytes) {
      this.log(`session bus: a ${m.op} message of ${Buffer.byteLength(payload)} bytes is over ${this.maxBytes} and was not sent to other replicas`);
      return 0;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`publish not acknowledged within ${PUBLISH_TIMEOUT_MS} ms`)), PUBLISH_TIMEOUT_MS);
    });
    try {
      return await Promise.race([this.pub.publish(this.channel(sessionId), payload), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.sub.disconnect();
  }

  private channel(sessionId: string): string {
    return `${this.prefix}session-bus:${sessionDigest(sessionId)}`;
  }

  private receive(channel: string, payload: Buffer): void {
    const handler = this.handlers.get(channel);
    if (!handler) return;
    let m: unknown;
    try {
      m = parseJsonBytes(payload, { maxBytes: this.maxBytes + 256, maxDepth: 4 });
    } catch {
      return this.log('session bus: an unreadable message was dropped');
    }
    const msg = m as Record<string, unknown>;
    if (msg.from === this.replica) return;
    if ((msg.op === 'stream' || msg.op === 'client') && typeof msg.message === 'string') return handler({ op: msg.op, message: msg.message });
    if (msg.op === 'ended' && typeof msg.reason === 'string') return handler({ op: 'ended', reason: msg.reason });
    this.log(`session bus: a message of unknown shape was dropped`);
  }
}
