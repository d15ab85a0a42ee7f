/**
 * A CallContext for one response stage run on its own (unit tests of validateResult,
 * inspectResult): the parsed config, a `tools/call`-style request, the server's result, and an
 * audit sink that records what the stage emits.
 */
import { configSchema } from '../../src/config/schema.ts';
import type { CallContext } from '../../src/pipeline/types.ts';
import { quarantineStoreOf } from '../../src/quarantine/quarantine-release.ts';

export function callContext(opts: { mcp: Record<string, unknown>; result: Record<string, unknown>; method?: string; params?: Record<string, unknown> }) {
  const config = configSchema.parse({ mcp: opts.mcp });
  const method = opts.method ?? 'tools/call';
  const events: Array<Record<string, unknown>> = [];
  const ctx = {
    services: { config, audit: { emit: (r: Record<string, unknown>) => events.push(r) }, quarantine: quarantineStoreOf(config) },
    session: { id: 's1', principal: { subject: 'alice' } },
    req: { jsonrpc: '2.0', id: 1, method, params: opts.params ?? { name: 't', arguments: {} } },
    method,
    security: config.mcp.security,
    response: { jsonrpc: '2.0', id: 1, result: opts.result },
    audit: {},
    startedAt: 0,
  } as unknown as CallContext;
  return { ctx, events };
}
