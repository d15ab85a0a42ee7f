/**
 * MCP revisions the gateway speaks, and the schema of each client message per revision.
 *
 * 2025-06-18 and 2025-11-25 are stateful (`initialize`, `Mcp-Session-Id`); their messages are
 * checked with the v1 SDK's schemas. 2026-07-28 is stateless (`server/discover`, a `_meta`
 * envelope on every request); its messages are checked with the v2 `@modelcontextprotocol/core`
 * schemas, restricted to the 2026 method registry.
 */
import * as core from '@modelcontextprotocol/core';
import * as v1 from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';

export const LATEST_LEGACY = '2025-11-25';
export const LEGACY_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];
export const MODERN_VERSION = '2026-07-28';
export const MODERN_VERSIONS: readonly string[] = [MODERN_VERSION];

/** The 2026-07-28 request registry: everything else is -32601 there. */
export const MODERN_METHODS: ReadonlySet<string> = new Set([
  'tools/call', 'tools/list', 'prompts/get', 'prompts/list', 'resources/list', 'resources/templates/list',
  'resources/read', 'completion/complete', 'server/discover', 'subscriptions/listen',
]);
export const MODERN_NOTIFICATIONS: ReadonlySet<string> = new Set(['notifications/cancelled', 'notifications/progress']);

/** Envelope keys of 2026-07-28 `_meta` (SEP-2575). */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** Results that 2026-07-28 lets clients cache; they must carry `ttlMs` and `cacheScope`. */
export const MODERN_CACHEABLE: ReadonlySet<string> = new Set([
  'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover',
]);

type Schema = z.ZodType;
type UnionLike = { options: { shape: { method: { value: string } } }[] };

function byMethod(union: unknown, keep?: ReadonlySet<string>): Map<string, Schema> {
  const m = new Map<string, Schema>();
  for (const o of (union as UnionLike).options) {
    const method = o.shape.method.value;
    if (!keep || keep.has(method)) m.set(method, o as unknown as Schema);
  }
  return m;
}

const legacyRequests = byMethod(v1.ClientRequestSchema);
const legacyNotifications = byMethod(v1.ClientNotificationSchema);
const modernRequests = byMethod(core.ClientRequestSchema, MODERN_METHODS);
const modernNotifications = byMethod(core.ClientNotificationSchema, MODERN_NOTIFICATIONS);

export function isModern(version: string | undefined): boolean {
  return version !== undefined && version >= MODERN_VERSION;
}

export function requestSchema(version: string | undefined, method: string): Schema | undefined {
  return (isModern(version) ? modernRequests : legacyRequests).get(method);
}

export function notificationSchema(version: string | undefined, method: string): Schema | undefined {
  return (isModern(version) ? modernNotifications : legacyNotifications).get(method);
}

/** The client's answers to server requests (sampling, elicitation, roots): legacy only. */
export const clientResultSchema: Schema = v1.ClientResultSchema as unknown as Schema;

/** Negotiate an `initialize` version: the client's if we speak it, else our latest (spec lifecycle). */
export function negotiateLegacy(requested: unknown): string {
  return typeof requested === 'string' && LEGACY_VERSIONS.includes(requested) ? requested : LATEST_LEGACY;
}
