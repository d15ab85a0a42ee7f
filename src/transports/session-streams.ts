/**
 * The answer streams of one HTTP session (or one 2026-07-28 request): which connection carries
 * the answer to which request, the session's GET stream, and resumption.
 *
 * How a request is answered:
 * - 2025-11-25 session, client accepts `text/event-stream`, resumability on: an SSE stream with
 *   event ids (SEP-1699). It starts as soon as something must go out (a related message, the
 *   answer) or the call has run `PRIME_AFTER_MS`, so a long call has an event id to resume from
 *   early. A refusal that carries its own HTTP status (401/403 with a challenge) before the stream
 *   started keeps that status as a JSON answer.
 * - Otherwise: JSON, unless something related must go out first (then a plain SSE stream).
 *
 * A dropped connection: a resumable stream that already gave the client an event id stays, with
 * its call, for `ttl` (the spec: disconnection is not cancellation); events go to the replay
 * buffer. A GET with `Last-Event-ID` re-attaches it. Past `ttl`, or for a stream without ids (the
 * client cannot resume it; on 2026-07-28 closing the stream *is* the cancellation), the call is
 * abandoned (`onLost`).
 */
import type { ServerResponse } from 'node:http';
import type { JsonRpcId } from '../protocol/envelope.ts';
import { parseEventId, ReplayBuffer, type ReplayLimits } from './event-replay.ts';
import { SSE_HEADERS, SseStream, type Resumability } from './sse-stream.ts';

/** A call still running after this gets its stream (and priming event) even with nothing to send. */
export const PRIME_AFTER_MS = 100;

export type Status = [number, Record<string, string>];

export const OK_JSON: Status = [200, { 'content-type': 'application/json' }];

export interface StreamPolicy extends ReplayLimits {
  retryMs: number;
}

interface RequestEntry {
  res: ServerResponse;
  resumable: boolean;
  sse?: SseStream;
  done: boolean;
  prime?: NodeJS.Timeout;
}

export class SessionStreams {
  private readonly requests = new Map<JsonRpcId, RequestEntry>();
  /** Resumable streams by stream id, while a client may still resume them. */
  private readonly live = new Map<string, { stream: SseStream; expiry?: NodeJS.Timeout; request?: JsonRpcId }>();
  private get?: SseStream;
  private readonly replay?: ReplayBuffer;
  private readonly policy?: StreamPolicy;
  private readonly onLost: (id: JsonRpcId) => void;

  /** `policy` undefined: nothing in this session is resumable. `onLost`: abandon the call of a request whose client went away. */
  constructor(policy: StreamPolicy | undefined, onLost: (id: JsonRpcId) => void) {
    this.policy = policy;
    this.replay = policy && new ReplayBuffer(policy);
    this.onLost = onLost;
  }

  get resumable(): boolean {
    return this.replay !== undefined;
  }

  /**
   * This replica holds the session's GET stream: connected, or resumable with its client away
   * (messages are kept for the resume). Otherwise they go to the replica holding it, if any.
   */
  get holdsGet(): boolean {
    return Boolean(this.get && !this.get.ended && (this.get.connection || this.get.resumable));
  }

  has(id: JsonRpcId): boolean {
    return this.requests.has(id);
  }

  /** The connection that will carry the answer to request `id`. */
  openRequest(id: JsonRpcId, res: ServerResponse, resumable: boolean): void {
    const entry: RequestEntry = { res, resumable: resumable && this.resumable, done: false };
    this.requests.set(id, entry);
    if (entry.resumable) {
      entry.prime = setTimeout(() => this.start(entry, id), PRIME_AFTER_MS);
      entry.prime.unref();
    }
    res.on('close', () => {
      if (entry.done || entry.sse) return; // a started stream watches its own connections
      this.lose(id, entry);
    });
  }

  /** Deliver a message: to its request's stream, else (unrelated) to the GET stream. */
  deliver(message: string | Buffer, related?: JsonRpcId, final?: boolean, status?: Status): void {
    const entry = related !== undefined ? this.requests.get(related) : undefined;
    if (entry && !entry.done) {
      if (!final) {
        this.start(entry, related!).send(message, false);
        return;
      }
      entry.done = true;
      this.requests.delete(related!);
      clearTimeout(entry.prime);
      if (!entry.sse && (!entry.resumable || (status && status[0] !== 200))) {
        entry.res.writeHead(...(status ?? OK_JSON)).end(message);
        return;
      }
      // A resumable stream whose client is away records the answer for its resume (or `ttl`).
      this.start(entry, related!).send(message, true);
      return;
    }
    // A response whose request stream is gone (closed, cancelled) is dropped: the GET stream
    // MUST NOT carry responses (spec, transports: listening for messages from the server).
    if (final && related !== undefined) return;
    // Unrelated messages (list_changed, logging) go on the session's GET stream, if it has one.
    if (this.get && !this.get.ended && (this.get.connection || this.get.resumable)) this.get.send(message, false);
  }

  /** A cancelled request gets no response (spec, utilities/cancellation): its stream just ends. */
  cancel(id: JsonRpcId): void {
    const entry = this.requests.get(id);
    if (!entry || entry.done) return;
    entry.done = true;
    this.requests.delete(id);
    clearTimeout(entry.prime);
    if (entry.sse) {
      this.forget(entry.sse);
      entry.sse.cut();
    } else {
      entry.res.writeHead(200, SSE_HEADERS).end();
    }
  }

  /** The session's GET stream (`resumable`: with event ids). False when one is already connected (409). */
  openGet(res: ServerResponse, headers: Record<string, string>, resumable: boolean): boolean {
    if (this.get?.connection) return false;
    if (this.get) {
      this.forget(this.get);
      this.get.cut();
    }
    const sse = new SseStream(resumable ? this.resumability() : undefined);
    sse.open(res, headers);
    this.get = sse;
    this.watch(sse, res);
    return true;
  }

  /**
   * A GET with `Last-Event-ID`: re-attach the stream it names, after replaying what followed.
   * False (nothing sent) when the id is not one of this session's resumable streams, or the
   * events after it are no longer all held.
   */
  resume(lastEventId: string, res: ServerResponse, headers: Record<string, string>): boolean {
    const at = parseEventId(lastEventId);
    const held = at && this.live.get(at.stream);
    const missed = held && this.replay?.after(at.stream, at.seq);
    if (!held || !missed) return false;
    clearTimeout(held.expiry);
    held.expiry = undefined;
    held.stream.resume(res, missed, headers);
    if (held.stream.ended) {
      // Replayed to the end: the request is answered, nothing is left to resume.
      this.forget(held.stream);
      return true;
    }
    this.watch(held.stream, res);
    return true;
  }

  /**
   * The session ended: its GET stream closes and nothing stays resumable. Calls still running
   * answer on their own connections (the gateway cancels them upstream).
   */
  close(): void {
    for (const held of this.live.values()) clearTimeout(held.expiry);
    this.live.clear();
    this.replay?.clear();
    this.get?.cut();
    this.get = undefined;
  }

  private resumability(): Resumability | undefined {
    return this.replay && this.policy ? { replay: this.replay, retryMs: this.policy.retryMs } : undefined;
  }

  /** The request's SSE stream, started on its connection now if it has not been. */
  private start(entry: RequestEntry, id: JsonRpcId): SseStream {
    if (entry.sse) return entry.sse;
    clearTimeout(entry.prime);
    const sse = new SseStream(entry.resumable ? this.resumability() : undefined);
    entry.sse = sse;
    sse.open(entry.res);
    this.watch(sse, entry.res, id);
    return sse;
  }

  /** Follow one connection of a stream: when it closes, the stream waits for a resume or is lost. */
  private watch(sse: SseStream, res: ServerResponse, request?: JsonRpcId): void {
    if (sse.resumable) {
      const held = this.live.get(sse.id) ?? { stream: sse, request };
      this.live.set(sse.id, held);
    }
    res.on('close', () => {
      sse.detach(res);
      if (sse.connection) return; // resumed on another connection meanwhile
      const held = this.live.get(sse.id);
      if (sse.ended) {
        // Fully written to a connection that finished: delivered. Otherwise keep it for a resume.
        if (held && res.writableFinished && !held.expiry) this.forget(sse);
        else if (held) this.expireLater(held);
        return;
      }
      if (!held) {
        // No event id reached the client (or the session ended): nothing to resume.
        const entry = request !== undefined ? this.requests.get(request) : undefined;
        if (entry) this.lose(request!, entry);
        return;
      }
      this.expireLater(held);
    });
  }

  private expireLater(held: { stream: SseStream; expiry?: NodeJS.Timeout; request?: JsonRpcId }): void {
    clearTimeout(held.expiry);
    held.expiry = setTimeout(() => {
      if (held.stream.connection) return;
      this.forget(held.stream);
      if (this.get === held.stream) this.get = undefined;
      const entry = held.request !== undefined ? this.requests.get(held.request) : undefined;
      if (entry && !entry.done) this.lose(held.request!, entry);
    }, this.policy!.ttlMs);
    held.expiry.unref();
  }

  private forget(sse: SseStream): void {
    const held = this.live.get(sse.id);
    if (held) clearTimeout(held.expiry);
    this.live.delete(sse.id);
    this.replay?.forget(sse.id);
  }

  /** The client went away for good: the request's call is abandoned. */
  private lose(id: JsonRpcId, entry: RequestEntry): void {
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.prime);
    this.requests.delete(id);
    if (entry.sse) this.forget(entry.sse);
    this.onLost(id);
  }
}
