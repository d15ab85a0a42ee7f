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
 * Bounded: a message over `maxBytes` is not published (and reported), each publish times out
 * (`mcp.state.commandTimeoutMs`), and
 * incoming messages are parsed with the untrusted-JSON limits. Delivery is at most once, like the
 * connection it stands in for: a message for a stream nobody holds is dropped, as it is on one
 * replica whose client has no GET stream open.
 */
import { randomBytes } from 'node:crypto';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { stateUnavailable, type RedisConnection } from './redis-connection.ts';
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

export function newReplicaId(): string {
  return randomBytes(6).toString('hex');
}

export class RedisSessionBus implements SessionBus {
  readonly replica: string;
  private readonly conn: RedisConnection;
  private readonly joined = new Map<string, { handler: BusHandler; leave?: Promise<() => Promise<void>> }>();
  private readonly maxBytes: number;
  private readonly log: (line: string) => void;

  /** `conn`: the replica's shared-state connection (publishes; its subscriber connection listens). */
  constructor(conn: RedisConnection, opts: { replica: string; maxBytes: number; log: (line: string) => void }) {
    this.replica = opts.replica;
    this.conn = conn;
    this.maxBytes = opts.maxBytes;
    this.log = opts.log;
  }

  join(sessionId: string, handler: BusHandler): void {
    const channel = channelOf(sessionId);
    const held = this.joined.get(channel);
    if (held) return void (held.handler = handler);
    const entry: { handler: BusHandler; leave?: Promise<() => Promise<void>> } = { handler };
    this.joined.set(channel, entry);
    entry.leave = this.conn.subscribe(channel, (payload) => this.receive(entry, payload));
  }

  leave(sessionId: string): void {
    const channel = channelOf(sessionId);
    const entry = this.joined.get(channel);
    if (!entry) return;
    this.joined.delete(channel);
    void entry.leave?.then((off) => off()).catch(() => {});
  }

  async publish(sessionId: string, m: BusMessage): Promise<number> {
    const payload = JSON.stringify({ ...m, from: this.replica });
    const bytes = Buffer.byteLength(payload);
    if (bytes > this.maxBytes) {
      this.log(`session bus: a ${m.op} message of ${bytes} bytes is over ${this.maxBytes} and was not sent to other replicas`);
      return 0;
    }
    // The connection's command timeout bounds the wait; Redis away fails at once (no offline queue).
    try {
      return await this.conn.client.publish(this.conn.key(channelOf(sessionId)), payload);
    } catch (err) {
      throw stateUnavailable(err);
    }
  }

  async close(): Promise<void> {
    for (const id of [...this.joined.keys()]) {
      const entry = this.joined.get(id)!;
      this.joined.delete(id);
      await entry.leave?.then((off) => off()).catch(() => {});
    }
  }

  private receive(entry: { handler: BusHandler }, payload: string): void {
    if (Buffer.byteLength(payload) > this.maxBytes + 256) return this.log('session bus: an oversized message was dropped');
    let m: unknown;
    try {
      m = parseJsonBytes(Buffer.from(payload), { maxBytes: this.maxBytes + 256, maxDepth: 4 });
    } catch {
      return this.log('session bus: an unreadable message was dropped');
    }
    const msg = m as Record<string, unknown>;
    if (msg.from === this.replica) return;
    if ((msg.op === 'stream' || msg.op === 'client') && typeof msg.message === 'string') return entry.handler({ op: msg.op, message: msg.message });
    if (msg.op === 'ended' && typeof msg.reason === 'string') return entry.handler({ op: 'ended', reason: msg.reason });
    this.log('session bus: a message of unknown shape was dropped');
  }
}

/** Under the connection's `keyPrefix`; named by the digest, never the id (a bearer). */
function channelOf(sessionId: string): string {
  return `session-bus:${sessionDigest(sessionId)}`;
}
