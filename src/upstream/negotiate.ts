/**
 * Which revision the gateway speaks to one server, decided when it (re)starts.
 *
 * 2026-07-28 (basic/versioning, server/discover): a client that speaks both the stateless
 * revision and the `initialize` ones SHOULD send `server/discover` first. A server that answers
 * with `supportedVersions` naming 2026-07-28 gets stateless requests from then on: each one
 * carries the protocol version, the client's capabilities and identity in `_meta` (SEP-2575), and
 * over Streamable HTTP the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers (SEP-2243).
 * Any other answer — a JSON-RPC error (-32601 from a 2025 server), an HTTP refusal (400 "not
 * initialized", 404, 405), a reply without our version, or no reply within `DISCOVER_TIMEOUT_MS`
 * — means the server is a 2025 one, and it is opened with the stateful `initialize` session.
 *
 * The same probe works over stdio, where there is no HTTP status to go by: the spec names it the
 * stdio backward-compatibility probe. A legacy server answers the unknown method with an error
 * (or not at all) and is then initialized on the same process.
 */
import { META, MODERN_VERSION } from '../protocol/revisions.ts';
import type { JsonRpcResponse, Params } from '../protocol/envelope.ts';
import type { UpstreamRoute } from './transport.ts';

/** A 2025 server may ignore an unknown method before `initialize`: this long, then fall back. */
export const DISCOVER_TIMEOUT_MS = 10_000;

export type Era = 'modern' | 'legacy';

/** What the gateway says about itself on every 2026-07-28 request (the `initialize` params' parts). */
export interface Envelope {
  clientCapabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown>;
}

/** The parts of the gateway's `initialize` params that 2026-07-28 carries per request instead. */
export function envelopeFrom(initParams: Params): Envelope {
  const caps = initParams.capabilities;
  const info = initParams.clientInfo;
  return {
    clientCapabilities: caps && typeof caps === 'object' && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {},
    clientInfo: info && typeof info === 'object' && !Array.isArray(info) ? (info as Record<string, unknown>) : { name: 'portcullis', version: '0' },
  };
}

/** What one caller's request says of the caller, when the gateway asks a server on its behalf. */
export interface CallerEnvelope {
  /** The caller's capabilities for this request (what the gateway can pass input requests on to). */
  clientCapabilities: Record<string, unknown>;
  /** The least severe log level the caller wants (2026-07-28: no level, no log messages). */
  logLevel?: string;
}

/**
 * `params` with the 2026-07-28 envelope in `_meta`. Envelope keys already there (a 2026 caller's
 * own) are replaced: they describe the caller's hop to the gateway, these the gateway's to the server.
 */
export function withEnvelope(params: Params | undefined, env: Envelope, caller?: CallerEnvelope): Params {
  const meta = { ...(params?._meta as Record<string, unknown> | undefined) };
  meta[META.protocolVersion] = MODERN_VERSION;
  meta[META.clientCapabilities] = caller?.clientCapabilities ?? env.clientCapabilities;
  meta[META.clientInfo] = env.clientInfo;
  if (caller?.logLevel !== undefined) meta[META.logLevel] = caller.logLevel;
  else delete meta[META.logLevel];
  return { ...params, _meta: meta };
}

const NAME_FIELD: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/** The method and named target of a request, for transports that mirror them in headers. */
export function routeOf(method: string, params: Params | undefined): UpstreamRoute {
  const field = NAME_FIELD[method];
  const name = field ? params?.[field] : undefined;
  return typeof name === 'string' ? { method, name } : { method };
}

/** What a server says about itself: its `initialize` result, or the same read from `server/discover`. */
export interface InitializeResult {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: { name: string; version: string; [k: string]: unknown };
  instructions?: string;
  [k: string]: unknown;
}

/**
 * The answer to `server/discover` read as the spec says: a server that lists 2026-07-28 in
 * `supportedVersions` is spoken to in it; anything else (an error, a version list without it,
 * a malformed result) is a server for the `initialize` session. `fallbackName` names a server
 * that does not say who it is (serverInfo is a SHOULD in the result `_meta`).
 */
export function readDiscover(msg: JsonRpcResponse, fallbackName: string): InitializeResult | undefined {
  const r = msg.result;
  if (msg.error || !r || typeof r !== 'object') return undefined;
  const versions = r.supportedVersions;
  if (!Array.isArray(versions) || !versions.includes(MODERN_VERSION)) return undefined;
  const caps = r.capabilities;
  if (!caps || typeof caps !== 'object' || Array.isArray(caps)) return undefined;
  const meta = r._meta as Record<string, unknown> | undefined;
  const info = (meta?.[META.serverInfo] ?? r.serverInfo) as InitializeResult['serverInfo'] | undefined;
  const serverInfo = info && typeof info === 'object' && typeof info.name === 'string' ? { ...info, version: String(info.version ?? '') } : { name: fallbackName, version: '' };
  return {
    protocolVersion: MODERN_VERSION,
    capabilities: caps as Record<string, unknown>,
    serverInfo,
    ...(typeof r.instructions === 'string' && { instructions: r.instructions }),
  };
}
