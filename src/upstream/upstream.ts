/**
 * One upstream MCP server as seen by the gateway: a JSON-RPC client over a transport.
 *
 * The gateway is the MCP client of every upstream. It negotiates the revision per server
 * (negotiate.ts: `server/discover`, else `initialize`), allocates its own request ids (so many
 * downstream sessions can share one server without id collisions), times every request out, and
 * on a crash fails every in-flight request at once.
 */
import { GatewayError } from '../errors.ts';
import { classify, type JsonRpcId, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse, type Params } from '../protocol/envelope.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { MODERN_VERSION } from '../protocol/revisions.ts';
import { answeredId } from './answered-id.ts';
import { LocalAsks } from './local-asks.ts';
import { PendingRequests } from './pending-requests.ts';
import { DISCOVER_TIMEOUT_MS, envelopeFrom, readDiscover, routeOf, withEnvelope, type CallerEnvelope, type Envelope, type Era, type InitializeResult } from './negotiate.ts';
import { isCrashLoop, RESTART, restartDelayMs, wasStable } from './restart-policy.ts';
import type { UpstreamTransport } from './transport.ts';

export interface UpstreamResponse {
  msg: JsonRpcResponse;
  bytes: Buffer;
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
  /** The revision spoken to this server since its last start (negotiate.ts). */
  private era: Era = 'legacy';
  private envelope?: Envelope;
  /** Probing with `server/discover` (a refusal is a 2025 server's answer); no probe (configured, or it killed the server). */
  private negotiating = false;
  private noProbe = false;
  /** Questions put to a client for this (2026-07-28) server's `input_required` (local-asks.ts). */
  private readonly asks = new LocalAsks();
  private readonly makeTransport: () => UpstreamTransport;
  private transport?: UpstreamTransport;
  private readonly pending = new PendingRequests();
  private nextId = 1;
  private starting?: Promise<InitializeResult>;
  private readonly maxMessageBytes: number;
  private readonly events: UpstreamEvents;
  lastError?: string;
  /** What the calls in flight are told when the transport stopped its server on purpose. */
  private killedWith?: string;

  /** After a request times out, a server that does not answer a ping within this is killed. */
  private readonly killUnresponsiveMs?: number;

  constructor(name: string, makeTransport: () => UpstreamTransport, opts: { maxMessageBytes: number; events: UpstreamEvents; killUnresponsiveMs?: number; sessionOnly?: boolean }) {
    this.name = name;
    this.noProbe = opts.sessionOnly === true;
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
    t.onlost = (id, reason) => this.pending.fail(id, new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: `${this.name}: ${reason}` }));
    t.onkill = (reason, wire) => {
      this.killedWith = wire;
      this.events.onKilled?.(this, reason);
    };
    t.onclose = (reason) => {
      if (this.transport === t) this.down(reason);
    };
    try {
      await t.start();
      this.envelope = envelopeFrom(initParams);
      const modern = await this.discover(t, timeoutMs);
      if (modern) {
        this.era = 'modern';
        this.init = modern;
        this.state = 'ready';
        return modern;
      }
      this.era = 'legacy';
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

  /** `server/discover` first (negotiate.ts): the server's description if it speaks 2026-07-28. */
  private async discover(t: UpstreamTransport, timeoutMs: number): Promise<InitializeResult | undefined> {
    this.era = 'legacy';
    if (this.noProbe) return undefined;
    t.setProtocolVersion?.(MODERN_VERSION);
    this.negotiating = true;
    let found: InitializeResult | undefined;
    try {
      const { msg } = await this.request('server/discover', withEnvelope(undefined, this.envelope!), Math.min(timeoutMs, DISCOVER_TIMEOUT_MS));
      return (found = readDiscover(msg, this.name));
    } catch (err) {
      // The server went away while probed: it cannot be initialized on this connection either.
      if (this.transport === t) return undefined;
      this.noProbe = true;
      throw err;
    } finally {
      this.negotiating = false;
      if (!found) t.setProtocolVersion?.(undefined);
    }
  }

  /** Spoken to in 2026-07-28 (stateless requests, `input_required` results). */
  get modern(): boolean {
    return this.era === 'modern';
  }

  /** A question to a client for this server's `inputRequests` entry: its id and answer (local-asks.ts). */
  openAsk(timeoutMs: number): { id: string; answer: Promise<JsonRpcResponse> } {
    return this.asks.open(timeoutMs);
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
    this.asks.failAll(message);
    this.pending.failAll(new GatewayError('UPSTREAM_UNAVAILABLE', message, { detail: reason }));
    this.events.onDown?.(this, reason);
    if (crashed) this.failed(reason);
  }

  /**
   * Send a request with a gateway-allocated id. `onId` learns the id before it is sent. To a
   * 2026-07-28 server it carries the envelope, with what `caller` says of the caller when given.
   */
  request(method: string, params: Params | undefined, timeoutMs: number, onId?: (id: number) => void, caller?: CallerEnvelope): Promise<UpstreamResponse> {
    const t = this.transport;
    if (!t) return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: this.lastError }));
    if (this.era === 'modern' && this.envelope) params = withEnvelope(params, this.envelope, caller);
    const probing = this.negotiating;
    const id = this.nextId++;
    onId?.(id);
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const onTimeout = () => {
        t.abandon?.(id);
        reject(new GatewayError('REQUEST_TIMEOUT', `Request timed out after ${Math.round(timeoutMs / 1000)}s`, { detail: `${this.name} ${method}` }));
        // A probe a 2025 server left unanswered is not a stuck server: it is initialized next.
        if (probing) return;
        // Tell the server to stop working on it (spec: cancellation).
        void this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'timeout' } }).catch(() => {});
        if (method !== 'ping' && method !== 'server/discover') this.killIfUnresponsive(t);
      };
      this.pending.add(id, { resolve, reject, deadline: performance.now() + timeoutMs, onTimeout, method });
      const body = params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      t.send(JSON.stringify(body), id, routeOf(method, params)).catch((err: Error) => {
        if (!this.pending.drop(id)) return;
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
    // 2026-07-28 has no ping: its cheapest request is server/discover.
    this.request(this.era === 'modern' ? 'server/discover' : 'ping', undefined, ms).then(
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
    if (!this.pending.has(id)) return;
    this.transport?.abandon?.(id);
    this.pending.fail(id, new GatewayError('CANCELLED', 'Request cancelled'));
  }

  /**
   * A result over the size cap was dropped unread. Fail the request it answered now rather than
   * at its timeout (answeredId: the id in its last bytes, or the only request in flight).
   */
  private failOversized(bytes: number, tail: Buffer, head?: Buffer): void {
    this.pending.fail(answeredId(undefined, tail, head, this.pending.keys()), new GatewayError('RESULT_TOO_LARGE', `The server's answer (${bytes} bytes) exceeds the limit of ${this.maxMessageBytes}`));
  }

  /**
   * Send a raw message (notification, or the client's answer to a server request). An answer to
   * one of the gateway's own questions (local-asks.ts) stays here; a 2026-07-28 server sends no
   * requests, so no other answer goes to one either.
   */
  send(message: object): Promise<void> {
    if (this.asks.settle(message)) return Promise.resolve();
    const method = (message as { method?: unknown }).method;
    if (this.era === 'modern' && typeof method !== 'string') return Promise.resolve();
    const t = this.transport;
    if (!t) return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`));
    return t.send(JSON.stringify(message), undefined, typeof method === 'string' ? { method } : undefined);
  }

  /**
   * A server message that cannot be used: logged, and the call it answered (answeredId) fails now
   * with UPSTREAM_PROTOCOL_ERROR; otherwise its client would wait REQUEST_TIMEOUT for an answer
   * that was dropped here.
   */
  private unusable(value: unknown, bytes: Buffer, detail: string): void {
    const refused = new GatewayError('UPSTREAM_PROTOCOL_ERROR', `Server '${this.name}' sent an invalid message`, { detail });
    this.pending.fail(answeredId(value, bytes.subarray(-256), bytes.subarray(0, 256), this.pending.keys()), refused);
    // A 2025 server's refusal of the probe may be an error with a null id (HTTP 400, no session).
    if (!this.negotiating) this.events.onProtocolError?.(this, refused);
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
      // A late answer to a timed-out or cancelled request settles nothing.
      this.pending.resolve(id, { msg: parsed.msg, bytes });
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
    this.asks.failAll(`Server '${this.name}' is unavailable`);
    this.pending.failAll(new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.name}' is unavailable`, { detail: reason }));
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
    this.pending.failAll(new GatewayError('SHUTTING_DOWN', 'Gateway is shutting down'));
    this.asks.failAll('Gateway is shutting down');
    await t?.close();
  }
}

export type { InitializeResult, JsonRpcId };
