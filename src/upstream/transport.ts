/**
 * The upstream side of a connection: how the gateway talks to one MCP server.
 * Transports move serialized JSON-RPC messages; they do not interpret them.
 */
/**
 * What a 2026-07-28 request is about, for transports that mirror it outside the body
 * (Streamable HTTP: `Mcp-Method` and `Mcp-Name`, SEP-2243).
 */
export interface UpstreamRoute {
  method: string;
  /** `params.name` (tools/call, prompts/get) or `params.uri` (resources/read). */
  name?: string;
}

export interface UpstreamTransport {
  start(): Promise<void>;
  /** Send one serialized JSON-RPC message. Rejects when the server cannot take it. */
  send(message: string, requestId?: number, route?: UpstreamRoute): Promise<void>;
  /** Stop reading whatever belongs to this request (its HTTP response stream), if anything. */
  abandon?(requestId: number): void;
  close(): Promise<void>;
  /** Called with the raw bytes of each message the server sends. */
  onmessage?: (bytes: Buffer) => void;
  /** A problem that does not end the connection (e.g. an oversized line that was dropped). */
  onerror?: (err: Error) => void;
  /** A message over the size cap was dropped; `tail` is its last bytes (to find the request id). */
  onoversize?: (bytes: number, tail: Buffer, head?: Buffer) => void;
  /** Request `requestId` can no longer be answered (its stream ended and cannot be resumed). */
  onlost?: (requestId: number, reason: string) => void;
  /** Set by the owner: whether request `requestId` still waits for its answer. */
  awaiting?: (requestId: number) => boolean;
  /** The connection ended (process exit, stream closed). */
  onclose?: (reason: string) => void;
  /** Stop the server now (a process transport); `reason` is reported through `onkill` and `onclose`. */
  kill?(reason: string, wire?: string): void;
  /**
   * The transport killed its server on purpose (runaway output, memory limit), before `onclose`;
   * `wire`, when given, is what the calls that ended with it are told.
   */
  onkill?: (reason: string, wire?: string) => void;
  /**
   * Set once the protocol version is negotiated (Streamable HTTP sends it as a header); set to the
   * version probed while negotiating, and cleared (undefined) when the probe fails.
   */
  setProtocolVersion?(version: string | undefined): void;
}

export interface TransportLimits {
  /** Largest single message accepted from the server, in bytes. */
  maxMessageBytes: number;
}
