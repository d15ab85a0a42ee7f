/**
 * One SSE stream toward a client: the answer stream of a POST, or a session's GET stream.
 *
 * A resumable stream (2025-11-25, SEP-1699) opens with a priming event (an id, the `retry` the
 * client must wait before reconnecting, empty data), gives every event an id, and records each in
 * the session's replay buffer. The stream outlives its connection: when the client's connection
 * drops, events are still recorded, and a GET with `Last-Event-ID` re-attaches the stream to the
 * new connection after replaying what was missed. A plain stream (2026-07-28, where resumability
 * was removed; earlier revisions) has no ids and lives and dies with its connection.
 */
import type { ServerResponse } from 'node:http';
import { eventId, newStreamId, type ReplayBuffer } from './event-replay.ts';

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Proxies (nginx) must not hold events back (2026-07-28 transports, receiving messages).
  'x-accel-buffering': 'no',
});

export interface Resumability {
  replay: ReplayBuffer;
  retryMs: number;
}

const EVENT = Buffer.from('event: message\n');
const DATA = Buffer.from('data: ');
const NL = Buffer.from('\n');

export class SseStream {
  readonly id = newStreamId();
  /** Set for a resumable stream. */
  readonly resumable?: Resumability;
  private seq = 0;
  private res?: ServerResponse;
  /** The final event went out (or was recorded for a client that is away), or the stream was cut. */
  ended = false;

  constructor(resumable?: Resumability) {
    this.resumable = resumable;
  }

  /** The connection currently carrying the stream, if any. */
  get connection(): ServerResponse | undefined {
    return this.res && !this.res.writableEnded ? this.res : undefined;
  }

  /** Start the stream on its first connection: the head, then (resumable) the priming event. */
  open(res: ServerResponse, headers: Record<string, string> = {}): void {
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    this.res = res;
    if (this.resumable) {
      // SEP-1699: an id and empty data, so the client can reconnect even if nothing else comes.
      this.emit(Buffer.from(`id: ${eventId(this.id, this.seq)}\nretry: ${this.resumable.retryMs}\ndata: \n\n`), false);
    } else {
      res.flushHeaders();
    }
  }

  /** Send one message; `end` for the last (the request's response). True if a connection took it. */
  send(message: string | Buffer, end: boolean): boolean {
    if (this.ended) return false;
    const frame = this.frame(message);
    if (end) this.ended = true;
    return this.emit(frame, end);
  }

  /** A reconnection with `Last-Event-ID`: replay what followed it, then carry on live (or end). */
  resume(res: ServerResponse, missed: Buffer[], headers: Record<string, string> = {}): void {
    const previous = this.connection;
    res.writeHead(200, { ...SSE_HEADERS, ...headers });
    for (const f of missed) res.write(f);
    if (this.ended) {
      res.end();
      return;
    }
    this.res = res;
    res.flushHeaders();
    // One stream, one connection: the spec forbids sending a message on two streams at once.
    if (previous && previous !== res) previous.end();
  }

  /** The connection `res` went away; the stream stays (resumable) for a reconnection. */
  detach(res: ServerResponse): void {
    if (this.res === res) this.res = undefined;
  }

  /** End the stream with no further event (cancelled, session closed). */
  cut(): void {
    this.ended = true;
    const c = this.connection;
    this.res = undefined;
    c?.end();
  }

  private emit(frame: Buffer, end: boolean): boolean {
    if (this.resumable) this.resumable.replay.record(this.id, this.seq++, frame);
    const c = this.connection;
    if (!c) return false;
    if (end) c.end(frame);
    else c.write(frame);
    return true;
  }

  /**
   * `id:` (resumable), `event: message`, and the data. Serialized JSON has no raw line breaks, but
   * a server's own bytes spliced into a result may (pretty-printed JSON): each line then gets its
   * own `data:` field, which SSE joins back with `\n` (valid JSON whitespace).
   */
  private frame(message: string | Buffer): Buffer {
    const id = this.resumable ? `id: ${eventId(this.id, this.seq)}\n` : '';
    if (typeof message === 'string' && !message.includes('\n') && !message.includes('\r')) {
      // The common case (a serialized message): encoded once, straight into the frame.
      const head = `${id}event: message\ndata: `;
      const headBytes = Buffer.byteLength(head);
      const out = Buffer.allocUnsafe(headBytes + Buffer.byteLength(message) + 2);
      out.write(head, 0, 'utf8');
      const end = headBytes + out.write(message, headBytes, 'utf8');
      out[end] = 0x0a;
      out[end + 1] = 0x0a;
      return out;
    }
    const body = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    const parts: Buffer[] = [];
    if (id) parts.push(Buffer.from(id));
    parts.push(EVENT);
    if (body.includes(0x0a) || body.includes(0x0d)) {
      for (const line of body.toString('utf8').split(/\r\n|\r|\n/)) parts.push(DATA, Buffer.from(line, 'utf8'), NL);
    } else {
      parts.push(DATA, body, NL);
    }
    parts.push(NL);
    return Buffer.concat(parts);
  }
}
