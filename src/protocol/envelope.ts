/**
 * The JSON-RPC 2.0 envelope as MCP constrains it: ids are strings or integers (never null),
 * params are objects, and batches are refused (removed in 2025-06-18 and absent since).
 */
import { GatewayError } from '../errors.ts';

export type JsonRpcId = string | number;
export type Params = Record<string, unknown>;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Params;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: Record<string, unknown>;
  error?: JsonRpcErrorObject;
}
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type Classified =
  | { kind: 'request'; msg: JsonRpcRequest }
  | { kind: 'notification'; msg: JsonRpcNotification }
  | { kind: 'response'; msg: JsonRpcResponse };

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v));
}

/** Best-effort id of a message that failed validation, so the error can still be correlated. */
export function salvageId(v: unknown): JsonRpcId | null {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const id = (v as { id?: unknown }).id;
    if (isId(id)) return id;
  }
  return null;
}

export function classify(v: unknown): Classified {
  if (Array.isArray(v)) throw new GatewayError('BATCH_NOT_SUPPORTED', 'JSON-RPC batches are not supported by MCP');
  if (v === null || typeof v !== 'object') throw new GatewayError('INVALID_REQUEST', 'Invalid Request: not a JSON-RPC object');
  const o = v as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') throw new GatewayError('INVALID_REQUEST', 'Invalid Request: jsonrpc must be "2.0"');
  if ('params' in o && (o.params === null || typeof o.params !== 'object' || Array.isArray(o.params))) {
    throw new GatewayError('INVALID_REQUEST', 'Invalid Request: params must be an object');
  }
  if (typeof o.method === 'string') {
    if (o.method.length === 0 || o.method.length > 256) throw new GatewayError('INVALID_REQUEST', 'Invalid Request: bad method');
    if ('result' in o || 'error' in o) throw new GatewayError('INVALID_REQUEST', 'Invalid Request: method with result/error');
    if (!('id' in o)) return { kind: 'notification', msg: o as unknown as JsonRpcNotification };
    if (!isId(o.id)) throw new GatewayError('INVALID_REQUEST', 'Invalid Request: id must be a string or an integer');
    return { kind: 'request', msg: o as unknown as JsonRpcRequest };
  }
  if ('method' in o) throw new GatewayError('INVALID_REQUEST', 'Invalid Request: method must be a string');
  if (!isId(o.id)) throw new GatewayError('INVALID_REQUEST', 'Invalid Request: id must be a string or an integer');
  const hasResult = 'result' in o;
  const hasError = 'error' in o;
  if (hasResult === hasError) throw new GatewayError('INVALID_REQUEST', 'Invalid Request: a response has exactly one of result or error');
  if (hasResult && (o.result === null || typeof o.result !== 'object' || Array.isArray(o.result))) {
    throw new GatewayError('INVALID_REQUEST', 'Invalid Request: result must be an object');
  }
  if (hasError) {
    const e = o.error as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || !Number.isInteger(e.code) || typeof e.message !== 'string') {
      throw new GatewayError('INVALID_REQUEST', 'Invalid Request: malformed error object');
    }
  }
  return { kind: 'response', msg: o as unknown as JsonRpcResponse };
}

export function errorResponse(id: JsonRpcId | null, error: JsonRpcErrorObject): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}
export function resultResponse(id: JsonRpcId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result });
}
