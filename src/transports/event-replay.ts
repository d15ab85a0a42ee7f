/**
 * The events a session's SSE streams sent, kept so that a client that lost its connection can
 * reconnect with `Last-Event-ID` and get what it missed (2025-11-25 transports, resumability and
 * redelivery; SEP-1699). 2026-07-28 has no resumability: its streams never record here.
 *
 * One buffer per session, bounded three ways: a cap on events, a cap on bytes (the oldest go
 * first), and an age. A stream whose early events were evicted cannot be resumed from before them:
 * `after()` says so instead of replaying a stream with a hole in it.
 *
 * Event ids are `<stream>.<seq>`: the stream part is 96 random bits, so an id names one stream of
 * one session and cannot be guessed; the buffer is the session's own, so an id from another
 * session (or another principal: sessions are bound to theirs) finds nothing here.
 */
import { randomBytes } from 'node:crypto';

export interface ReplayLimits {
  maxEvents: number;
  maxBytes: number;
  ttlMs: number;
}

interface Stored {
  stream: string;
  seq: number;
  frame: Buffer;
  at: number;
}

const STREAM_ID = /^[A-Za-z0-9_-]{16}$/;

export function newStreamId(): string {
  return randomBytes(12).toString('base64url');
}

export function eventId(stream: string, seq: number): string {
  return `${stream}.${seq}`;
}

/** The stream and sequence number an event id names, or undefined for anything we did not issue. */
export function parseEventId(id: string): { stream: string; seq: number } | undefined {
  const dot = id.lastIndexOf('.');
  if (dot === -1) return undefined;
  const stream = id.slice(0, dot);
  const digits = id.slice(dot + 1);
  if (!STREAM_ID.test(stream) || !/^\d{1,15}$/.test(digits)) return undefined;
  return { stream, seq: Number(digits) };
}

export class ReplayBuffer {
  private readonly limits: ReplayLimits;
  private events: Stored[] = [];
  private head = 0;
  private bytes = 0;
  /** Per stream: the lowest sequence number still held complete (everything before it is gone). */
  private readonly floor = new Map<string, number>();

  constructor(limits: ReplayLimits) {
    this.limits = limits;
  }

  get size(): { events: number; bytes: number } {
    return { events: this.events.length - this.head, bytes: this.bytes };
  }

  /** Keep one framed event. An event larger than the byte cap is not kept: its stream has a hole. */
  record(stream: string, seq: number, frame: Buffer, now = Date.now()): void {
    this.expire(now);
    if (frame.length > this.limits.maxBytes) {
      this.forget(stream);
      this.floor.set(stream, seq + 1);
      return;
    }
    if (!this.floor.has(stream)) this.floor.set(stream, seq);
    this.events.push({ stream, seq, frame, at: now });
    this.bytes += frame.length;
    while (this.events.length - this.head > this.limits.maxEvents || this.bytes > this.limits.maxBytes) this.evictOldest();
  }

  /**
   * The events of `stream` after `seq`, oldest first; undefined when the stream is unknown here or
   * something after `seq` was evicted (a replay would silently skip it).
   */
  after(stream: string, seq: number, now = Date.now()): Buffer[] | undefined {
    this.expire(now);
    const floor = this.floor.get(stream);
    if (floor === undefined || seq + 1 < floor) return undefined;
    const out: Buffer[] = [];
    for (let i = this.head; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.stream === stream && e.seq > seq) out.push(e.frame);
    }
    return out;
  }

  /** Drop a stream's events (it ended and was delivered, or it expired). */
  forget(stream: string): void {
    if (!this.floor.delete(stream)) return;
    const kept: Stored[] = [];
    for (let i = this.head; i < this.events.length; i++) {
      const e = this.events[i];
      if (e.stream === stream) this.bytes -= e.frame.length;
      else kept.push(e);
    }
    this.events = kept;
    this.head = 0;
  }

  clear(): void {
    this.events = [];
    this.head = 0;
    this.bytes = 0;
    this.floor.clear();
  }

  private evictOldest(): void {
    const e = this.events[this.head];
    this.events[this.head] = undefined as unknown as Stored;
    this.head++;
    this.bytes -= e.frame.length;
    // The stream can still be resumed from this event on, not from before it.
    if (this.floor.has(e.stream)) this.floor.set(e.stream, e.seq + 1);
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  private expire(now: number): void {
    const cutoff = now - this.limits.ttlMs;
    while (this.head < this.events.length && this.events[this.head].at < cutoff) this.evictOldest();
  }
}
