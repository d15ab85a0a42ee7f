/**
 * A Streamable HTTP MCP server. Each message is a POST; the answer is 202 (nothing), JSON, or an
 * SSE stream that carries related messages and then the response. After initialization a GET
 * stream carries the server's own notifications and requests, if the server offers one.
 * Every body is read with a byte cap; no client token ever goes upstream (only configured headers).
 */
import { createParser } from 'eventsource-parser';
import { Agent, request, type buildConnector, type Dispatcher } from 'undici';
import { readCapped } from '../util/read-capped.ts';
import type { TransportLimits, UpstreamTransport } from './transport.ts';
import type { UpstreamCredentials } from './upstream-credentials.ts';

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
  private sessionId?: string;
  private protocolVersion?: string;
  private readonly agent: Dispatcher;
  private closed = false;
  private getStream?: AbortController;
  private readonly opts: HttpOptions;
  /** Response streams of requests still being answered, so a cancelled one can be dropped. */
  private readonly streams = new Map<number, AbortController>();

  constructor(opts: HttpOptions) {
    this.opts = opts;
    this.agent = new Agent({ connectTimeout: opts.connectTimeoutMs, headersTimeout: opts.connectTimeoutMs, bodyTimeout: 0, connections: 64, ...(opts.connect && { connect: opts.connect }) });
  }

  async start(): Promise<void> {}

  setProtocolVersion(v: string): void {
    this.protocolVersion = v;
  }

  /** Only configured headers and the gateway's own credentials: nothing of the client's. */
  private async headers(extra: Record<string, string>): Promise<Record<string, string>> {
    const h: Record<string, string> = { ...this.opts.headers, ...(await this.opts.credentials?.headers()), ...extra };
    if (this.sessionId) h['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion) h['mcp-protocol-version'] = this.protocolVersion;
    return h;
  }

  abandon(requestId: number): void {
    this.streams.get(requestId)?.abort();
    this.streams.delete(requestId);
  }

  async send(message: string, requestId?: number): Promise<void> {
    if (this.closed) throw new Error('transport closed');
    const ac = new AbortController();
    if (requestId !== undefined) this.streams.set(requestId, ac);
    let streaming = false;
    try {
      streaming = await this.post(message, ac.signal, requestId);
    } finally {
      if (requestId !== undefined && !streaming) this.streams.delete(requestId);
    }
  }

  /** POST one message; true when its answer continues as an SSE stream read in the background. */
  private async post(message: string, signal: AbortSignal, requestId?: number): Promise<boolean> {
    let sent: string | undefined;
    const once = async () => {
      const headers = await this.headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
      sent = headers.authorization;
      return request(this.opts.url, { method: 'POST', signal, dispatcher: this.agent, headers, body: message });
    };
    let res = await once();
    // The gateway's token expired or was revoked: fetch another and retry once.
    if (res.statusCode === 401 && this.opts.credentials?.refresh(sent)) {
      await res.body.dump();
      res = await once();
    }
    const sid = res.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid) {
      const first = this.sessionId === undefined;
      this.sessionId = sid;
      if (first) this.openGetStream();
    }
    if (res.statusCode === 202 || res.statusCode === 204) {
      await res.body.dump();
      return false;
    }
    const ctype = String(res.headers['content-type'] ?? '');
    if (res.statusCode === 404 && this.sessionId) {
      await res.body.dump();
      this.onclose?.('upstream session expired (HTTP 404)');
      throw new Error('upstream session expired');
    }
    if (ctype.startsWith('text/event-stream')) {
      // Read the stream in the background: a long tool call must not block this send().
      void this.readSse(res.body)
        .catch((err: Error) => {
          if (!signal.aborted) this.onerror?.(err);
        })
        .finally(() => {
          if (requestId !== undefined) this.streams.delete(requestId);
        });
      return true;
    }
    const body = await readCapped(res.body, this.opts.maxMessageBytes);
    if (body === null) {
      this.onerror?.(new Error(`upstream body over ${this.opts.maxMessageBytes} bytes; dropped`));
      // Here the request is known: fail it at once.
      if (requestId !== undefined) this.onoversize?.(this.opts.maxMessageBytes + 1, Buffer.from(`"id":${requestId}}`));
      return false;
    }
    if (res.statusCode >= 400 && !ctype.startsWith('application/json')) {
      throw new Error(`upstream answered HTTP ${res.statusCode}`);
    }
    if (body.length) this.onmessage?.(body);
    return false;
  }

  private openGetStream(): void {
    const ac = new AbortController();
    this.getStream = ac;
    void (async () => {
      const res = await request(this.opts.url, {
        method: 'GET',
        dispatcher: this.agent,
        signal: ac.signal,
        headers: await this.headers({ accept: 'text/event-stream' }),
      });
      if (res.statusCode !== 200) {
        // 405: the server offers no standalone stream. That is allowed.
        await res.body.dump();
        return;
      }
      await this.readSse(res.body);
    })().catch(() => {});
  }

  private async readSse(body: AsyncIterable<Buffer>): Promise<void> {
    let eventBytes = 0;
    const parser = createParser({
      onEvent: (ev) => {
        if (ev.event && ev.event !== 'message') return;
        if (ev.data) this.onmessage?.(Buffer.from(ev.data, 'utf8'));
      },
    });
    for await (const chunk of body) {
      eventBytes += chunk.length;
      // The cap applies to one event; a blank line (event end) in this chunk resets the count.
      if (chunk.includes('\n\n') || chunk.includes('\r\n\r\n')) eventBytes = chunk.length - chunk.lastIndexOf('\n');
      if (eventBytes > this.opts.maxMessageBytes) {
        this.onerror?.(new Error(`upstream SSE event over ${this.opts.maxMessageBytes} bytes; stream dropped`));
        (body as unknown as { destroy?: () => void }).destroy?.();
        return;
      }
      parser.feed(chunk.toString('utf8'));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.getStream?.abort();
    for (const c of this.streams.values()) c.abort();
    this.streams.clear();
    if (this.sessionId) {
      await this.headers({})
        .then((headers) => request(this.opts.url, { method: 'DELETE', dispatcher: this.agent, headers }))
        .then((r) => r.body.dump())
        .catch(() => {});
    }
    await this.agent.close().catch(() => {});
  }
}
