/**
 * One upstream MCP server as seen by the gateway: a JSON-RPC client over a transport.
 *
 * The gateway is the MCP client of every upstream. It performs `initialize` itself, allocates
 * its own request ids (so many downstream sessions can share one server without id collisions),
 * times every request out, and on a crash fails every in-flight request at once.
 */
import { GatewayError } from '../errors.ts';
import { classify, type JsonRpcId, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse, type Params } from '../protocol/envelope.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { answeredId } from './answered-id.ts';
import { isCrashLoop, RESTART, restartDelayMs, wasStable } from './restart-policy.ts';
import type { UpstreamTransport } from './transport.ts';

export interface InitializeResult {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: { name: string; version: string; [k: string]: unknown };
  instructions?: string;
  [k: string]: unknown;
}

export interface UpstreamResponse {
  msg: JsonRpcResponse;
  bytes: Buffer;
}

interface Pending {
  resolve: (r: UpstreamResponse) => void;
  reject: (e: GatewayError) => void;
  timer: NodeJS.Timeout;
  method: string;
}

export interface UpstreamEvents {
  /** A request from the server to the client (sampling, elicitation, roots, ping). */
  onServerRequest?: (up: Upstream, msg: JsonRpcRequest) => void;
  onNotification?: (up: Upstream, msg: JsonRpcNotification, bytes: Buffer) => void;
  onDown?: (up: Upstream, reason: string) => void;
  onProtocolError?: (up: Upstream, err: GatewayError) => void;
  /** The server was killed on purpose (unresponsive after a timeout, runaway output). */
  onKilled?: (up: Upstream, reason: string) => void;
  /** Consecutive failures reached the crash-loop threshold (restart-policy.ts). */
  onCrashLoop?: (up: Upstream, failures: number, lastError: string) => void;
}

export type UpstreamState = 'new' | 'starting' | 'ready' | 'down' | 'closed';

export class Upstream {
  readonly name: string;
  state: UpstreamState = 'new';
  init?: InitializeResult;
  private readonly makeTransport: () => UpstreamTransport;
  private transport?: UpstreamTransport;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private starting?: Promise<InitializeResult>;
  private readonly maxMessageBytes: number;
  private readonly events: UpstreamEvents;
  lastError?: string;
  /** What the calls in flight are told when the transport stopped its server on purpose. */
  private killedWith?: string;

  /** After a request times out, a server that does not answer a ping within this is killed. */
  private readonly killUnresponsiveMs?: number;

  constructor(name: string, makeTransport: () => UpstreamTransport, opts: { maxMessageBytes: number; events: UpstreamEvents; killUnresponsiveMs?: number }) {
    this.name = name;
    this.makeTransport = makeTransport;
    this.maxMessageBytes = opts.maxMessageBytes;
    this.events = opts.events;
    this.killUnresponsiveMs = opts.killUnresponsiveMs;
  }

  /** Crash-looping (restart-policy.ts): not restarted automatically, calls fail fast. */
  get unhealthy(): boolean {
    return isCrashLoop(this.failures);
  }

  get inflight(): number {
    return this.pending.size;
  }

  /** Start and initialize, once; concurrent callers share the attempt. A down server is restarted. */
  ensureReady(initParams: Params, timeoutMs: number): Promise<InitializeResult> {
    if (this.state === 'ready' && this.init) return Promise.resolve(this.init);
    if (this.state === 'closed') return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`));
    // A server that failed or crashed is not retried on every request: the back-off of
    // restart-policy.ts keeps a broken server from being respawned in a hot loop and keeps one
    // stuck server from making every list wait for its start-up timeout.
    if (!this.starting && Date.now() < this.retryAt) {
      const state = this.unhealthy ? `unhealthy: crash loop (${this.failures} consecutive failures), ` : '';
      return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: `${state}${this.lastError} (retry in ${Math.ceil((this.retryAt - Date.now()) / 1000)}s)` }));
    }
    this.lastStart = { initParams, timeoutMs };
    this.starting ??= this.start(initParams, timeoutMs).then(
      (init) => {
        this.readyAt = Date.now();
        this.retryAt = 0;
        return init;
      },
      (err: unknown) => {
        this.failed(err instanceof GatewayError && err.detail ? err.detail : (this.lastError ?? String(err)));
        throw err;
      },
    ).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private failures = 0;
  private retryAt = 0;
  private readyAt = 0;
  private lastStart?: { initParams: Params; timeoutMs: number };
  private restartTimer?: NodeJS.Timeout;

  /** A failed start or a crash: count it, back off, and schedule the restart (unless crash-looping). */
  private failed(reason: string): void {
    const now = Date.now();
    if (wasStable(this.readyAt, now)) this.failures = 0;
    this.readyAt = 0;
    this.failures++;
    this.retryAt = now + restartDelayMs(this.failures);
    if (this.failures === RESTART.crashLoopAfter) this.events.onCrashLoop?.(this, this.failures, reason);
    if (this.unhealthy || !this.lastStart) return;
    clearTimeout(this.restartTimer);
    const { initParams, timeoutMs } = this.lastStart;
    this.restartTimer = setTimeout(() => {
      if (this.state !== 'down' && this.state !== 'new') return;
      // The back-off has elapsed by this timer's clock; Date.now() may lag it by a millisecond.
      this.retryAt = 0;
      this.ensureReady(initParams, timeoutMs).catch(() => {});
    }, this.retryAt - now);
    this.restartTimer.unref();
  }

  private async start(initParams: Params, timeoutMs: number): Promise<InitializeResult> {
    this.state = 'starting';
    const t = this.makeTransport();
    this.transport = t;
    t.onmessage = (bytes) => this.receive(bytes);
    t.onerror = (err) => this.events.onProtocolError?.(this, new GatewayError('UPSTREAM_PROTOCOL_ERROR', err.message));
    t.onoversize = (bytes, tail, head) => this.failOversized(bytes, tail, head);
    t.awaiting = (id) => this.pending.has(id);
    t.onlost = (id, reason) => this.fail(id, new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: `${this.name}: ${reason}` }));
    t.onkill = (reason, wire) => {
      this.killedWith = wire;
      this.events.onKilled?.(this, reason);
    };
    t.onclose = (reason) => {
      if (this.transport === t) this.down(reason);
    };
    try {
      await t.start();
      const { msg } = await this.request('initialize', initParams, timeoutMs);
      if (msg.error) throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' refused initialize`, { detail: msg.error.message });
      const init = msg.result as unknown as InitializeResult;
      if (!init || typeof init.protocolVersion !== 'string' || typeof init.capabilities !== 'object') {
        throw new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.name}' sent an invalid initialize result`);
      }
      t.setProtocolVersion?.(init.protocolVersion);
      await t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      this.init = init;
      this.state = 'ready';
      return init;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.state = 'down';
      this.transport = undefined;
      void t.close().catch(() => {});
      throw err instanceof GatewayError
        ? err
        : new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: this.lastError });
    }
  }

  private down(reason: string): void {
    if (this.state === 'closed') return;
    // A crash of a running server counts for supervision; a failed start is counted by ensureReady.
    const crashed = this.state === 'ready';
    this.state = 'down';
    this.lastError = reason;
    this.transport = undefined;
    this.init = undefined;
    // A server stopped on purpose says why to the calls it ends (e.g. over its memory limit).
    const message = this.killedWith ? `Server '${this.name}' was stopped: ${this.killedWith}` : `Server '${this.name}' is unavailable`;
    this.killedWith = undefined;
    const err = new GatewayError('UPSTREAM_UNAVAILABLE', message, { detail: reason });
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
    this.events.onDown?.(this, reason);
    if (crashed) this.failed(reason);
  }

  /** Send a request with a gateway-allocated id. `onId` learns the id before it is sent. */
  request(method: string, params: Params | undefined, timeoutMs: number, onId?: (id: number) => void): Promise<UpstreamResponse> {
    const t = this.transport;
    if (!t) return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: this.lastError }));
    const id = this.nextId++;
    onId?.(id);
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        t.abandon?.(id);
        // Tell the server to stop working on it (spec: cancellation), then answer the client.
        void t.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timeout' } })).catch(() => {});
        reject(new GatewayError('REQUEST_TIMEOUT', `Request timed out after ${Math.round(timeoutMs / 1000)}s`, { detail: `${this.name} ${method}` }));
        if (method !== 'ping') this.killIfUnresponsive(t);
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method });
      const body = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      t.send(JSON.stringify(body), id).catch((err: Error) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: err.message }));
      });
    });
  }

  private probing = false;

  /**
   * After a timeout the server was told to cancel; if it cannot even answer a ping within
   * `killUnresponsiveMs` it is stuck (a busy loop, a blocked event loop) and is killed, so that
   * the next call gets a fresh server instead of another timeout.
   */
  private killIfUnresponsive(t: UpstreamTransport): void {
    const ms = this.killUnresponsiveMs;
    if (!ms || this.probing || !t.kill || this.transport !== t) return;
    this.probing = true;
    this.request('ping', undefined, ms).then(
      () => {
        this.probing = false;
      },
      (err: GatewayError) => {
        this.probing = false;
        if (err.code === 'REQUEST_TIMEOUT' && this.transport === t) t.kill!(`server killed: no answer to ping ${Math.round(ms / 1000)}s after a request timed out`);
      },
    );
  }

  /** Abandon a pending request (client cancelled); the caller sends notifications/cancelled. */
  forget(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    this.transport?.abandon?.(id);
    p.reject(new GatewayError('CANCELLED', 'Request cancelled'));
  }

  /**
   * A result over the size cap was dropped unread. Fail the request it answered now rather than
   * at its timeout (answeredId: the id in its last bytes, or the only request in flight).
   */
  private failOversized(bytes: number, tail: Buffer, head?: Buffer): void {
    this.failPending(answeredId(undefined, tail, head, this.pending.keys()), new GatewayError('RESULT_TOO_LARGE', `The server's answer (${bytes} bytes) exceeds the limit of ${this.maxMessageBytes}`));
  }

  private failPending(id: number | undefined, err: GatewayError): void {
    const p = id !== undefined ? this.pending.get(id) : undefined;
    if (!p || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }

  /** Fail one pending request now. */
  private fail(id: number, err: GatewayError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }

  /** Send a raw message (notification, or the client's answer to a server request). */
  send(message: object): Promise<void> {
    const t = this.transport;
    if (!t) return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`));
    return t.send(JSON.stringify(message));
  }

  /**
   * A server message that cannot be used: logged, and the call it answered (answeredId) fails now
   * with UPSTREAM_PROTOCOL_ERROR; otherwise its client would wait REQUEST_TIMEOUT for an answer
   * that was dropped here.
   */
  private unusable(value: unknown, bytes: Buffer, detail: string): void {
    const refused = new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.name}' sent an invalid message`, { detail });
    this.failPending(answeredId(value, bytes.subarray(-256), bytes.subarray(0, 256), this.pending.keys()), refused);
    this.events.onProtocolError?.(this, refused);
  }

  private receive(bytes: Buffer): void {
    let parsed: ReturnType<typeof classify>;
    let value: unknown;
    try {
      // Server-to-client: the byte cap applies; depth is unbounded for V8's iterative parser.
      value = parseJsonBytes(bytes, { maxBytes: this.maxMessageBytes, maxDepth: Infinity });
      parsed = classify(value);
    } catch (err) {
      const e = err instanceof GatewayError ? err : new GatewayError('UPSTREAM_PROTOCOL_ERROR', String(err));
      // A polluting key is found after a successful parse: the id is still knowable.
      if (value === undefined && e.code === 'FORBIDDEN_KEY') value = JSON.parse(bytes.toString('utf8')) as unknown;
      return this.unusable(value, bytes, `${e.code}: ${e.message}`);
    }
    if (parsed.kind === 'response') {
      const id = parsed.msg.id;
      // The gateway sends only integer ids: a string one answers nothing it asked.
      if (typeof id !== 'number') return this.unusable(parsed.msg, bytes, 'a response with an id the gateway never sent');
      const p = this.pending.get(id);
      if (!p) return; // late answer to a timed-out or cancelled request
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve({ msg: parsed.msg, bytes });
    } else if (parsed.kind === 'request') {
      this.events.onServerRequest?.(this, parsed.msg);
    } else {
      this.events.onNotification?.(this, parsed.msg, bytes);
    }
  }

  /**
   * Operator isolation (`portcullis server disable`): the server is stopped, calls in flight fail
   * with `reason`, and it is not restarted until `reopen()` (`server enable`).
   */
  async isolate(reason: string): Promise<void> {
    this.isolated = true;
    const t = this.transport;
    this.state = 'closed';
    this.transport = undefined;
    this.init = undefined;
    this.lastError = reason;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: reason }));
    }
    const starting = this.starting;
    await t?.close();
    // A start already under way would bring it back up: wait for it, then stop it again.
    if (starting) {
      await starting.catch(() => {});
      if (this.isolated && (this.state as UpstreamState) === 'ready') await this.isolate(reason);
    }
  }

  private isolated = false;

  reopen(): void {
    this.isolated = false;
    if (this.state !== 'closed') return;
    this.state = 'new';
    this.failures = 0;
    this.retryAt = 0;
  }

  async close(): Promise<void> {
    clearTimeout(this.restartTimer);
    const t = this.transport;
    this.state = 'closed';
    this.transport = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new GatewayError('SHUTTING_DOWN', 'Gateway is shutting down'));
    }
    await t?.close();
  }
}

export type { JsonRpcId };
