/**
 * The gateway's upstream for a server the agent already talks to: JSON-RPC forwarded through
 * the wrapped SDK client's own connection (client-link.ts), instead of a process or socket of
 * the gateway's own. The client has done the MCP handshake with its server already, so the
 * gateway's `initialize` is answered here with what that server told the client, and its
 * `notifications/initialized` is not repeated to the server. Everything else goes through.
 */
import type { UpstreamTransport } from '../upstream/transport.ts';
import type { InitializeResult } from '../upstream/upstream.ts';

/** The server side of a wrapped client, as this transport sees it. */
export interface ServerSide {
  readonly init: InitializeResult;
  /** Hands one JSON-RPC message to the server through the client's transport. */
  toServer(message: object): Promise<void>;
  /** From now on, what the server sends goes to `t` (until `detach`). */
  attach(t: SdkUpstreamTransport): void;
  detach(t: SdkUpstreamTransport): void;
}

export class SdkUpstreamTransport implements UpstreamTransport {
  onmessage?: (bytes: Buffer) => void;
  private side?: ServerSide;
  private readonly server: string;
  private readonly find: () => ServerSide | undefined;

  constructor(server: string, find: () => ServerSide | undefined) {
    this.server = server;
    this.find = find;
  }

  async start(): Promise<void> {
    const side = this.find();
    if (!side) throw new Error(`no SDK client is wrapped for server '${this.server}' (guard.wrap(client, { server: '${this.server}' }))`);
    this.side = side;
    side.attach(this);
  }

  async send(message: string): Promise<void> {
    const side = this.side;
    if (!side) throw new Error(`server '${this.server}': not connected`);
    // Our own serialization (upstream.ts): plain JSON, no need for the untrusted-input parser.
    const msg = JSON.parse(message) as { id?: number; method?: string };
    if (msg.method === 'initialize' && msg.id !== undefined) {
      const answer = { jsonrpc: '2.0', id: msg.id, result: side.init };
      queueMicrotask(() => this.receive(answer));
      return;
    }
    if (msg.method === 'notifications/initialized') return;
    await side.toServer(msg);
  }

  /** A message from the server, as the SDK's transport parsed it. */
  receive(message: unknown): void {
    this.onmessage?.(Buffer.from(JSON.stringify(message)));
  }

  async close(): Promise<void> {
    this.side?.detach(this);
    this.side = undefined;
  }
}
