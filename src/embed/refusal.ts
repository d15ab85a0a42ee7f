/**
 * A refusal as a typed error. On the wire a refusal is a JSON-RPC error whose `data.reason` is the
 * gateway's string code (src/errors.ts); a wrapped SDK client raises it as its own error class
 * (v1 `McpError`, v2 `ProtocolError`) with the same numeric `code` and `data`. `refusalOf` turns
 * that back into the `GatewayError` it was, so a host can branch on `err.code === 'POLICY_DENIED'`.
 */
import { ERROR_TABLE, GatewayError, type GatewayErrorCode } from '../errors.ts';

interface WireError {
  code: number;
  message: string;
  data?: { reason?: unknown } & Record<string, unknown>;
}

const isCode = (x: unknown): x is GatewayErrorCode => typeof x === 'string' && Object.hasOwn(ERROR_TABLE, x);

/** A JSON-RPC error object from the gateway as the GatewayError it encodes. */
export function refusal(e: WireError): GatewayError {
  const { reason, ...data } = e.data ?? {};
  return new GatewayError(isCode(reason) ? reason : 'INTERNAL', e.message, { data });
}

/**
 * The gateway's refusal inside an error a wrapped client threw, or undefined when the error is
 * not one (a network failure, an SDK-side validation error). The code's JSON-RPC number must
 * match too: a server's own error that happens to carry a `reason` is not taken for ours.
 */
export function refusalOf(err: unknown): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  const e = err as Partial<WireError> | null;
  if (!e || typeof e.code !== 'number' || !e.data || !isCode(e.data.reason)) return undefined;
  if (ERROR_TABLE[e.data.reason].rpc !== e.code) return undefined;
  // The SDKs prefix the message ("MCP error -32602: ..."); the wire message is what follows.
  const message = String(e.message ?? '').replace(/^MCP error -?\d+: /, '');
  return refusal({ code: e.code, message, data: e.data });
}
