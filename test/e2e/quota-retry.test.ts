/**
 * A quota counts calls, not requests: a 2026-07-28 call that stops at `input_required` and is
 * completed by its retry is one call. The retry is checked again but not counted again; the next
 * new call finds the quota spent.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway-process.ts';

let gw: RunningGateway;
before(async () => {
  gw = await startGateway(`mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  servers: [{ name: ev, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }]
  security:
    toolAccess:
      allowedTools:
        - { pattern: trigger-sampling-request, conditions: [{ maxEventsPerDay: 1 }] }
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`);
});
after(() => gw.stop());

const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } };
const call = async (id: number, extra: Record<string, unknown> = {}) => {
  const res = await fetch(gw.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'trigger-sampling-request' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'p', maxTokens: 5 }, _meta: meta, ...extra } }),
  });
  return (await res.json()) as { result?: { resultType: string; inputRequests?: Record<string, unknown>; requestState?: string; content?: unknown }; error?: { code: number; data?: { reason?: string } } };
};

test('the retry after input_required completes the counted call; the next call is over quota', async () => {
  const first = await call(1);
  assert.equal(first.result?.resultType, 'input_required');
  const [key] = Object.keys(first.result!.inputRequests!);
  const retry = await call(2, { requestState: first.result!.requestState, inputResponses: { [key]: { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' } } });
  assert.equal(retry.result?.resultType, 'complete', JSON.stringify(retry));
  const next = await call(3);
  assert.equal(next.error?.code, -32010);
  assert.equal(next.error?.data?.reason, 'QUOTA_EXCEEDED');
});
