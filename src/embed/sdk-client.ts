/**
 * What the guard needs of an MCP SDK client: the v1 `Client` of `@modelcontextprotocol/sdk` and
 * the v2 `Client` of `@modelcontextprotocol/client` have the same shape here. Structural types,
 * so neither SDK is a dependency of the guard's types; read once, when a client is wrapped.
 */
import type { Params } from '../protocol/envelope.ts';
import type { InitializeResult } from '../upstream/upstream.ts';

/** The SDK's `Transport`: JSON-RPC objects (not bytes) in and out. */
export interface SdkTransport {
  send(message: unknown, options?: unknown): Promise<void>;
  close(): Promise<void>;
  onmessage?: (message: unknown, extra?: unknown) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
}

export interface SdkClient {
  readonly transport?: SdkTransport;
  getServerCapabilities(): unknown;
  getServerVersion(): unknown;
  getInstructions(): string | undefined;
  /** v2 only. */
  getNegotiatedProtocolVersion?(): string | undefined;
  /** v2 only: 'legacy' (initialize) or 'modern' (2026-07-28, server/discover). */
  getProtocolEra?(): string;
}

/** The revision a v1 client offers (and every current server accepts); v1 does not keep what was negotiated. */
const V1_DEFAULT_VERSION = '2025-11-25';

export class GuardUsageError extends Error {
  override name = 'GuardUsageError';
}

/** The client's handshake as the gateway needs it: what the server said, and what the client said. */
export function readHandshake(client: SdkClient): { server: InitializeResult; client: Params } {
  if (!client || typeof client.getServerVersion !== 'function' || typeof client.getServerCapabilities !== 'function') {
    throw new GuardUsageError('guard.wrap: not an MCP SDK Client (v1 @modelcontextprotocol/sdk or v2 @modelcontextprotocol/client)');
  }
  const serverInfo = client.getServerVersion() as InitializeResult['serverInfo'] | undefined;
  const transport = client.transport;
  if (!serverInfo || !transport) throw new GuardUsageError('guard.wrap: connect the client first (await client.connect(transport)), then wrap it');
  if (client.getProtocolEra?.() === 'modern') {
    throw new GuardUsageError('guard.wrap: the client negotiated 2026-07-28 (server/discover); the guard fronts initialize-era connections only: connect without version negotiation');
  }
  const negotiated = client.getNegotiatedProtocolVersion?.() ?? (transport as { protocolVersion?: string }).protocolVersion ?? V1_DEFAULT_VERSION;
  const own = client as unknown as { _clientInfo?: unknown; _capabilities?: unknown };
  const instructions = client.getInstructions();
  return {
    server: {
      protocolVersion: negotiated,
      capabilities: (client.getServerCapabilities() as Record<string, unknown> | undefined) ?? {},
      serverInfo,
      ...(instructions !== undefined && { instructions }),
    },
    client: {
      protocolVersion: negotiated,
      capabilities: (own._capabilities as Record<string, unknown> | undefined) ?? {},
      clientInfo: own._clientInfo ?? { name: 'portcullis-guard-host', version: '0' },
    },
  };
}
