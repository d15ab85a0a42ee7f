/**
 * A Streamable HTTP MCP server. Each message is a POST; the answer is 202 (nothing), JSON, or an
 * SSE stream that carries related messages and then the response. After initialization a GET
 * stream carries the server's own notifications and requests, if the server offers one.
 * Every body is read with a byte cap; no client token ever goes upstream (only configured headers).
 *
 * A stream that ends early is resumed (2025-11-25 transports, resumability; SEP-1699 polling: a
 * server may close the connection once it has sent an event id): after the server's `retry`, a GET
 * with `Last-Event-ID`, bounded as `RESUME` says. A request whose stream ends with neither its
 * answer nor an event id to resume from fails at once instead of waiting for its timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Readable } from 'node:stream';
import { Agent, type buildConnector, type Dispatcher } from 'undici';
import { exchange, type Exchange } from './http-exchange.ts';
import { readSse, type SseCursor } from './sse-reader.ts';
import { isModern } from '../protocol/revisions.ts';
import type { TransportLimits, UpstreamRoute, UpstreamTransport } from './transport.ts';
import type { UpstreamCredentials } from './upstream-credentials.ts';

/** Bounds on resuming a stream: every wait honours the server's `retry`, the request's timeout bounds the whole. */
export const RESUME = Object.freeze({
  /** Reconnections in a row that bring no event at all before the stream is given up. */
  maxIdleAttempts: 3,
  /** When the server names no `retry` (the SSE default is the client's choice). */
  defaultRetryMs: 1000,
  /** A server asking for a longer wait is not waited for: the request fails instead. */
  maxRetryMs: 60_000,
});

type Resumed = { body: Readable } | { gone: string } | { refused: string };

export interface HttpOptions extends TransportLimits {
  url: string;
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  /** https: TLS settings, pin check and audit (upstream-tls.ts). */
  connect?: buildConnector.connector;
  /** The gateway's own credentials for this upstream (upstream-credentials.ts). */
  credentials?: UpstreamCredentials;
}

export class HttpTransport implements UpstreamTransport {
  onmessage?: (bytes: Buffer) => void;
  onerror?: (err: Error) => void;
  onclose?: (reason: string) => void;
  onoversize?: (bytes: number, tail: Buffer, head?: Buffer) => void;
  onlost?: (requestId: number, reason: string) => void;
  awaiting?: (requestId: number) => boolean;
  private sessionId?: string;
  private protocolVersion?: string;
  private readonly agent: Dispatcher;
  private closed = false;
  private getStream?: AbortController;
  private readonly opts: HttpOptions;
  /** The URL split once, for the dispatcher (every request goes to the same place). */
  private readonly origin: string;
  private readonly path: string;
  /** Response streams of requests still being answered, so a cancelled one can be dropped. */
  private readonly streams = new Map<number, AbortController>();

  constructor(opts: HttpOptions) {
    this.opts = opts;
    const u = new URL(opts.url);
    this.origin = u.origin;
    this.path = `${u.pathname}${u.search}`;
    this.agent = new Agent({ connectTimeout: opts.connectTimeoutMs, headersTimeout: opts.connectTimeoutMs, bodyTimeout: 0, connections: 64, ...(opts.connect && { connect: opts.connect }) });
  }

  async start(): Promise<void> {}

  setProtocolVersion(v: string | undefined): void {
    this.protocolVersion = v;
  }

  /** Only configured headers and the gateway's own credentials: nothing of the client's. */
  private async headers(extra: Record<string, string>): Promise<Record<string, string>> {
    return this.headersWith(extra, await this.opts.credentials?.headers());
  }

  private headersWith(extra: Record<string, string>, credentials: Record<string, string> | undefined): Record<string, string> {
    const h: Record<string, string> = { ...this.opts.headers, ...credentials, ...extra };
    if (this.sessionId) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion) h['mcp-protocol-version'] = this.protocolVersion;
    return h;
  }

  /** One exchange with the server's URL; a body that is not a stream is capped at the message limit. */
  private exchange(method: 'GET' | 'POST' | 'DELETE', headers: Record<string, string>, signal?: AbortSignal, body?: string): Promise<Exchange> {
    return exchange(this.agent, { method, origin: this.origin, path: this.path, headers, body, signal, max: this.opts.maxMessageBytes });
  }

  abandon(requestId: number): void {
    this.streams.get(requestId)?.abort();
    this.streams.delete(requestId);
  }

  async send(message: string, requestId?: number, route?: UpstreamRoute): Promise<void> {
    if (this.closed) throw new Error('transport closed');
    const ac = new AbortController();
    if (requestId !== undefined) this.streams.set(requestId, ac);
    let streaming = false;
    try {
      streaming = await this.post(message, ac.signal, requestId, route);
    } finally {
      if (requestId !== undefined && !streaming) this.streams.delete(requestId);
    }
  }

  /** POST one message; true when its answer continues as an SSE stream read in the background. */
  private async post(message: string, signal: AbortSignal, requestId?: number, route?: UpstreamRoute): Promise<boolean> {
    let sent: string | undefined;
    const once = async () => {
      // Without credentials to fetch (the common case) the headers are built with no await.
      const credentials = this.opts.credentials ? await this.opts.credentials.headers() : undefined;
      const headers = this.headersWith({ 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...routeHeaders(this.protocolVersion, route) }, credentials);
      sent = headers.authorization;
      return this.exchange('POST', headers, signal, message);
    };
    let res = await once();
    // The gateway's token expired or was revoked: fetch another and retry once.
    if (res.statusCode === 401 && this.opts.credentials?.refresh(sent)) {
      res.stream?.destroy();
      res = await once();
    }
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid) {
      const first = this.sessionId === undefined;
      this.sessionId = sid;
      if (first) this.openGetStream();
    }
    if (res.statusCode === 202 || res.statusCode === 204) {
      res.stream?.destroy();
      return false;
    }
    const ctype = String(res.headers['content-type'] ?? '');
    if (res.statusCode === 404 && this.sessionId) {
      res.stream?.destroy();
      this.onclose?.('upstream session expired (HTTP 404)');
      throw new Error('upstream session expired');
    }
    if (res.stream) {
      // Read the stream in the background: a long tool call must not block this send().
      void this.follow(res.stream, signal, requestId)
        .catch((err: Error) => {
          if (!signal.aborted) this.onerror?.(err);
        })
        .finally(() => {
          if (requestId !== undefined) this.streams.delete(requestId);
        });
      return true;
    }
    const body = res.body!;
    if (body === null) {
      this.onerror?.(new Error(`upstream body over ${this.opts.maxMessageBytes} bytes; dropped`));
      // Here the request is known: fail it at once.
      if (requestId !== undefined) this.onoversize?.(this.opts.maxMessageBytes + 1, Buffer.from(`"id":${requestId}}`));
      return false;
    }
    if (res.statusCode >= 400 && !ctype.startsWith('application/json')) {
      throw new Error(`upstream answered HTTP ${res.statusCode}`);
    }
    for (const m of jsonMessages(body)) this.onmessage?.(m);
    return false;
  }

  /**
   * Read a request's answer stream until the answer came. A stream that ends before it is resumed
   * from its last event id; one with no id to resume from, or that cannot be resumed, fails the
   * request now (`onlost`).
   */
  private async follow(body: Readable, signal: AbortSignal, requestId?: number): Promise<void> {
    const cursor: SseCursor = { events: 0 };
    // Whether the request is still waiting is the owner's to say (Upstream); without it, no resume.
    const waiting = requestId !== undefined && this.awaiting ? this.awaiting : undefined;
    let idle = 0;
    for (let resumed = false; ; resumed = true) {
      // A resumed stream is cut once answered: a server may keep it open after the answer.
      if ((await this.read(body, cursor, resumed && waiting ? () => !waiting(requestId!) : undefined)) === 'oversize') return;
      if (!waiting || signal.aborted || this.closed || !waiting(requestId!)) return;
      idle = cursor.events > 0 ? 0 : idle + 1;
      const next = await this.resume(cursor, signal, idle);
      if (signal.aborted) return;
      if ('body' in next) {
        body = next.body;
        continue;
      }
      if ('gone' in next) return void this.onclose?.(next.gone);
      if (waiting(requestId!)) this.onlost?.(requestId!, next.refused);
      return;
    }
  }

  /** After the server's `retry`, a GET with `Last-Event-ID` (2025-11-25: resumption is always a GET). */
  private async resume(cursor: SseCursor, signal: AbortSignal, idle: number): Promise<Resumed> {
    if (cursor.lastEventId === undefined) return { refused: 'the server ended the stream with no answer and no event id to resume from' };
    if (idle >= RESUME.maxIdleAttempts) return { refused: `the stream was resumed ${idle} times without an event` };
    const wait = cursor.retryMs ?? RESUME.defaultRetryMs;
    if (wait > RESUME.maxRetryMs) return { refused: `the server asked to wait ${wait} ms before resuming` };
    try {
      await sleep(wait, undefined, { signal });
      const res = await this.exchange('GET', await this.headers({ accept: 'text/event-stream', 'last-event-id': cursor.lastEventId }), signal);
      if (res.statusCode === 200 && res.stream) return { body: res.stream };
      res.stream?.destroy();
      if (res.statusCode === 404 && this.sessionId) return { gone: 'upstream session expired (HTTP 404)' };
      return { refused: `the server refused to resume the stream (HTTP ${res.statusCode})` };
    } catch (err) {
      return { refused: `resuming the stream failed: ${(err as Error).message}` };
    }
  }

  /** The session's standalone GET stream, resumed when it ends (the server may close it at will). */
  private openGetStream(): void {
    const ac = new AbortController();
    this.getStream = ac;
    void (async () => {
      const res = await this.exchange('GET', await this.headers({ accept: 'text/event-stream' }), ac.signal);
      if (res.statusCode !== 200 || !res.stream) {
        // 405: the server offers no standalone stream. That is allowed.
        res.stream?.destroy();
        return;
      }
      const cursor: SseCursor = { events: 0 };
      let body = res.stream;
      let idle = 0;
      for (;;) {
        if ((await this.read(body, cursor)) === 'oversize' || ac.signal.aborted || this.closed) return;
        idle = cursor.events > 0 ? 0 : idle + 1;
        const next = await this.resume(cursor, ac.signal, idle);
        if (!('body' in next)) return;
        body = next.body;
      }
    })().catch(() => {});
  }

  private async read(body: Readable, cursor: SseCursor, done?: () => boolean): Promise<'ended' | 'oversize'> {
    const end = await readSse(body, this.opts.maxMessageBytes, cursor, (bytes) => this.onmessage?.(bytes), done);
    if (end === 'oversize') this.onerror?.(new Error(`upstream SSE event over ${this.opts.maxMessageBytes} bytes; stream dropped`));
    return end;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.getStream?.abort();
    for (const c of this.streams.values()) c.abort();
    this.streams.clear();
    if (this.sessionId) {
      await this.headers({})
        .then((headers) => this.exchange('DELETE', headers))
        .then((r) => r.stream?.destroy())
        .catch(() => {});
    }
    await this.agent.close().catch(() => {});
  }
}

/**
 * 2026-07-28 (SEP-2243): a request mirrors its method, and the tool, prompt or resource it names,
 * in `Mcp-Method` and `Mcp-Name`; a value that is not plain printable ASCII goes as
 * `=?base64?...?=`. Earlier revisions send neither.
 */
export function routeHeaders(version: string | undefined, route: UpstreamRoute | undefined): Record<string, string> {
  if (!route || !isModern(version)) return {};
  const h: Record<string, string> = { 'mcp-method': route.method };
  if (route.name !== undefined) h['mcp-name'] = /^[\x20-\x7e]*$/.test(route.name) && !route.name.startsWith('=?') ? route.name : `=?base64?${Buffer.from(route.name, 'utf8').toString('base64')}?=`;
  return h;
}

/**
 * The messages of an `application/json` body: one JSON value, as the transport says; or, from a
 * server that writes newline-delimited JSON under that type (the conformance suite's example
 * server does: progress and log lines, then the answer), one per line, when every line is JSON.
 * Each is still parsed with the byte cap and the prototype-poisoning guard by its reader.
 */
export function jsonMessages(body: Buffer): Buffer[] {
  if (body.length === 0) return [];
  // The common case, one value (maybe newline-terminated), costs one byte search.
  const first = body.indexOf(10);
  if (first < 0 || !/\S/.test(body.subarray(first).toString('utf8'))) return [body];
  const lines: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const nl = body.indexOf(10, at);
    const end = nl < 0 ? body.length : nl;
    const line = body.subarray(at, end);
    if (line.toString('utf8').trim()) lines.push(line);
    at = end + 1;
  }
  if (lines.length < 2) return [body];
  try {
    for (const l of lines) JSON.parse(l.toString('utf8'));
  } catch {
    return [body];
  }
  return lines;
}
