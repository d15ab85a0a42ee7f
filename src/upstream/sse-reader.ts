/**
 * Reading an upstream's SSE body: each `message` event's data is one JSON-RPC message. The cap on
 * message size applies to one event. The reader keeps the resumption cursor (SEP-1699): the last
 * event id seen and the server's `retry`, so the stream can be resumed with `Last-Event-ID`.
 */
import { createParser } from 'eventsource-parser';

export interface SseCursor {
  /** The last event id the server gave (a priming event counts). */
  lastEventId?: string;
  /** The server's `retry`, in ms: how long to wait before reconnecting. */
  retryMs?: number;
  /** Events read on the current connection (a priming event counts). */
  events: number;
}

export type SseEnd = 'ended' | 'oversize';

/** Read `body` to its end, or until `done()` says nothing more is wanted; `onData` gets each message's bytes. */
export async function readSse(body: AsyncIterable<Buffer>, maxEventBytes: number, cursor: SseCursor, onData: (bytes: Buffer) => void, done: () => boolean = () => false): Promise<SseEnd> {
  cursor.events = 0;
  const parser = createParser({
    onEvent: (ev) => {
      cursor.events++;
      // An empty id resets the last event id (HTML, server-sent events: the `id` field).
      if (ev.id !== undefined) cursor.lastEventId = ev.id || undefined;
      if (ev.event && ev.event !== 'message') return;
      if (ev.data) onData(Buffer.from(ev.data, 'utf8'));
    },
    onRetry: (ms) => {
      cursor.retryMs = ms;
    },
  });
  // A multi-byte character may be split across chunks: decode as a stream.
  const text = new TextDecoder('utf-8');
  let eventBytes = 0;
  for await (const chunk of body) {
    eventBytes += chunk.length;
    // The cap applies to one event; a blank line (event end) in this chunk resets the count.
    if (chunk.includes('\n\n') || chunk.includes('\r\n\r\n')) eventBytes = chunk.length - chunk.lastIndexOf('\n');
    if (eventBytes > maxEventBytes) {
      (body as unknown as { destroy?: () => void }).destroy?.();
      return 'oversize';
    }
    parser.feed(text.decode(chunk, { stream: true }));
    if (done()) {
      // Answered: a server that keeps the (resumed) stream open does not keep our connection.
      (body as unknown as { destroy?: () => void }).destroy?.();
      return 'ended';
    }
  }
  parser.feed(text.decode());
  return 'ended';
}
