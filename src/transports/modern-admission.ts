/**
 * Admission of a 2026-07-28 POST on Streamable HTTP, before dispatch (SEP-2575, SEP-2243).
 *
 * The order is the spec's precedence and is fixed here, in one place:
 *  1. `MCP-Protocol-Version` header missing on a request: -32020 (a required header is missing;
 *     transports, server validation).
 *  2. `_meta` missing a required field (`protocolVersion`, `clientCapabilities`): the request is
 *     malformed, -32602 with 400 (basic, `_meta`: "MUST reject it with -32602"). This comes before
 *     the header comparison: a body without a version has nothing to compare the header with, and
 *     answering -32020 would tell the client its header is wrong when its body is.
 *  3. Headers that disagree with the body (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`):
 *     -32020 with 400.
 *  4. A version the gateway does not implement: -32022 with 400 and `data.supported`.
 * The method registry (-32601, 404) is decided in the chain (checks/validate-message.ts); its HTTP
 * status, like every other, comes from `ERROR_TABLE` (src/errors.ts).
 */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.ts';
import type { Classified } from '../protocol/envelope.ts';
import { META, MODERN_VERSIONS } from '../protocol/revisions.ts';

const NAME_FROM: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A 2026-07-28 message: a modern version header, or a version in the body's envelope. */
export function isModernMessage(parsed: Classified, req: IncomingMessage): boolean {
  const pv = header(req, 'mcp-protocol-version');
  if (pv && MODERN_VERSIONS.includes(pv)) return true;
  if (parsed.kind === 'response') return false;
  return metaOf(parsed)?.[META.protocolVersion] !== undefined;
}

/** The refusal of a 2026-07-28 message, or undefined when it may be dispatched. `reason` is for the audit. */
export function admitModern(parsed: Classified, req: IncomingMessage): { error: GatewayError; reason: string } | undefined {
  if (parsed.kind === 'response') return undefined;
  const pv = header(req, 'mcp-protocol-version');
  const meta = metaOf(parsed);
  const bodyVersion = meta?.[META.protocolVersion];
  if (parsed.kind === 'request') {
    if (!pv) return mismatch('MCP-Protocol-Version header missing');
    const missing = typeof bodyVersion !== 'string' ? META.protocolVersion : !isObject(meta?.[META.clientCapabilities]) ? META.clientCapabilities : undefined;
    if (missing) {
      return { error: new GatewayError('INVALID_PARAMS', `Invalid params: _meta is missing ${missing}`), reason: `_meta missing ${missing}` };
    }
    if (bodyVersion !== pv) return mismatch(`MCP-Protocol-Version ${pv} != body ${bodyVersion}`);
    const m = header(req, 'mcp-method');
    if (m !== parsed.msg.method) return mismatch(`Mcp-Method ${m ?? '(missing)'} != body ${parsed.msg.method}`);
    const field = NAME_FROM[parsed.msg.method];
    if (field) {
      const raw = header(req, 'mcp-name');
      const name = raw === undefined ? undefined : decodeParamValue(raw);
      const want = parsed.msg.params?.[field];
      if (name !== want) return mismatch(`Mcp-Name ${name ?? '(missing)'} != body ${String(want)}`);
    }
  } else if (pv && bodyVersion !== undefined && bodyVersion !== pv) {
    return mismatch(`MCP-Protocol-Version ${pv} != body ${String(bodyVersion)}`);
  }
  // The 2026-07-28 UnsupportedProtocolVersionError: "For HTTP, the status MUST be 400".
  const requested = parsed.kind === 'request' ? bodyVersion : undefined;
  if (requested !== undefined && !MODERN_VERSIONS.includes(requested as string)) {
    const error = new GatewayError('UNSUPPORTED_PROTOCOL_VERSION', 'Unsupported protocol version', { data: { supported: [...MODERN_VERSIONS], requested } });
    return { error, reason: `unsupported protocol version ${String(requested)}` };
  }
  return undefined;
}

function mismatch(what: string): { error: GatewayError; reason: string } {
  return { error: new GatewayError('HEADER_MISMATCH', `Header mismatch: ${what}`, { data: { mismatch: what } }), reason: `header mismatch: ${what}` };
}

function metaOf(parsed: Classified): Record<string, unknown> | undefined {
  if (parsed.kind === 'response') return undefined;
  const meta = parsed.msg.params?._meta;
  return isObject(meta) ? meta : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `=?base64?...?=` wraps values that are not plain ASCII (SEP-2243). */
function decodeParamValue(v: string): string | undefined {
  const m = /^=\?base64\?([A-Za-z0-9+/=]*)\?=$/.exec(v);
  if (!m) return v;
  try {
    return Buffer.from(m[1], 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}
