/**
 * One wrapped SDK client, spliced into the gateway at its transport.
 *
 * The client keeps its API, its handlers and its connection; the guard takes over the two ends
 * of its transport:
 *
 *   client --send--> [gateway: in-process session, the full chain] --upstream--> real send --> server
 *   client <--onmessage-- [gateway answers, routed server requests]  <--upstream-- real onmessage <-- server
 *
 * So every request the client makes (listTools, callTool, getPrompt, readResource, or a raw
 * `request`) is a client request to the gateway and passes the same check order as on the wire
 * (pipeline/chain.ts); the server's answers, notifications and requests (sampling, elicitation)
 * pass the gateway's response side and routing before the client's handlers see them. The client
 * object is guarded from the moment it is wrapped: there is no unguarded path left on it.
 */
import { GatewayError } from '../errors.ts';
import type { Gateway } from '../gateway/gateway.ts';
import { Session, type Principal } from '../gateway/session.ts';
import type { Params } from '../protocol/envelope.ts';
import type { InitializeResult } from '../upstream/upstream.ts';
import type { SdkTransport } from './sdk-client.ts';
import type { SdkUpstreamTransport, ServerSide } from './sdk-upstream-transport.ts';
import { refusal } from './refusal.ts';
import { ServerView } from './server-view.ts';

/** The id of the guard's own `initialize` on the session: a string, which the SDKs never use. */
const HANDSHAKE_ID = 'portcullis-guard-handshake';
/** Server messages that arrive before the gateway attached its upstream, kept (bounded) until it does. */
const MAX_EARLY = 256;

type Msg = { id?: string | number; method?: string; params?: Params; result?: Record<string, unknown>; error?: { code: number; message: string; data?: { reason?: string } } };

export class ClientLink implements ServerSide {
  readonly init: InitializeResult;
  readonly session: Session;
  /** Resolves once the session is initialized (`start`); every client message waits for it. */
  private ready: Promise<void> = new Promise(() => {});
  private readonly clientInit: Params;
  private readonly view: ServerView;
  private readonly realSend: SdkTransport['send'];
  private readonly toClient: NonNullable<SdkTransport['onmessage']>;
  private upstream?: SdkUpstreamTransport;
  private early: unknown[] = [];
  /** The method of each client request in flight, to read its answer (server-view.ts). */
  private readonly methods = new Map<string | number, string>();
  private handshake?: { resolve: (m: Msg) => void };
  private ended = false;
  private readonly gw: Gateway;
  readonly server: string;
  private readonly onEnd: (link: ClientLink) => void;

  constructor(gw: Gateway, server: string, transport: SdkTransport, handshake: { server: InitializeResult; client: Params }, principal: Principal, onEnd: (link: ClientLink) => void) {
    this.gw = gw;
    this.server = server;
    this.onEnd = onEnd;
    this.init = handshake.server;
    this.view = new ServerView(gw.namespacer, server);
    this.session = new Session({ principal, connection: `in-process:${server}`, send: (m) => this.fromGateway(m) });
    this.realSend = transport.send.bind(transport);
    const sdkOnMessage = transport.onmessage;
    if (!sdkOnMessage) throw new Error('the client transport has no message handler: connect the client first');
    this.toClient = sdkOnMessage;
    const sdkOnClose = transport.onclose;
    transport.send = (message: unknown) => this.fromClient(message as Msg);
    transport.onmessage = (message: unknown) => this.fromServer(message);
    transport.onclose = () => {
      this.end('the client closed its connection');
      sdkOnClose?.();
    };
    this.clientInit = handshake.client;
  }

  /** Opens the session with the client's own initialize (the server it fronts is started by it). */
  start(): void {
    this.gw.openSession(this.session);
    this.ready = this.initialize(this.clientInit);
    this.ready.catch(() => {}); // each client message reports it
  }

  private async initialize(params: Params): Promise<void> {
    const answer = new Promise<Msg>((resolve) => (this.handshake = { resolve }));
    void this.gw.handleBytes(this.session, Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: HANDSHAKE_ID, method: 'initialize', params })));
    const m = await answer;
    if (m.error) throw refusal(m.error);
    await this.gw.handleBytes(this.session, Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })));
  }

  /** The client's `transport.send`: into the gateway, as a client of its in-process session. */
  private async fromClient(msg: Msg): Promise<void> {
    await this.ready;
    if (this.ended) throw new GatewayError('UPSTREAM_UNAVAILABLE', `Server '${this.server}' is unavailable`);
    if (msg.method && msg.id !== undefined) this.methods.set(msg.id, msg.method);
    void this.gw.handleBytes(this.session, Buffer.from(JSON.stringify(this.view.outbound(msg))));
  }

  /** The session's `send`: answers, notifications and routed server requests, to the client's handlers. */
  private fromGateway(message: string | Buffer): void {
    const msg = JSON.parse(typeof message === 'string' ? message : message.toString('utf8')) as Msg;
    if (msg.id === HANDSHAKE_ID && !msg.method) return this.handshake?.resolve(msg);
    let method: string | undefined;
    if (!msg.method && msg.id !== undefined) {
      method = this.methods.get(msg.id);
      this.methods.delete(msg.id);
    }
    try {
      this.toClient(this.view.inbound(msg, method));
    } catch (err) {
      this.gw.log(`guard: the client's handler threw: ${(err as Error).message}`);
    }
  }

  /** The transport's `onmessage`: what the server sent goes to the gateway's upstream. */
  private fromServer(message: unknown): void {
    if (this.upstream) return this.upstream.receive(message);
    if (this.early.length < MAX_EARLY) this.early.push(message);
    else this.gw.log(`guard: server '${this.server}' sent more than ${MAX_EARLY} messages before it was attached; dropped one`);
  }

  toServer(message: object): Promise<void> {
    if (this.ended) return Promise.reject(new Error('the client closed its connection'));
    return this.realSend(message);
  }

  attach(t: SdkUpstreamTransport): void {
    this.upstream = t;
    const early = this.early;
    this.early = [];
    for (const m of early) t.receive(m);
  }

  detach(t: SdkUpstreamTransport): void {
    if (this.upstream === t) this.upstream = undefined;
  }

  /** The client's connection ended (or the guard closed): the session and the upstream end with it. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.upstream = undefined;
    // Back to "no client wrapped": calls fail at once, nothing restarts it, a new wrap reopens it.
    void this.gw.servers.get(this.server)?.upstream.isolate(reason);
    this.gw.closeSession(this.session, reason);
    this.onEnd(this);
  }
}
