/**
 * A clean shutdown loses nothing: SIGTERM while a call is in flight lets the call finish, then
 * flushes the audit log with the call's record and `gateway_stopped`. New requests are refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway } from '../helpers/gateway-process.ts';

test('SIGTERM drains an in-flight call, then flushes every audit record', async () => {
  const gw = await startGateway(`mcp:
  servers: [{ name: ev, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }]
  timeouts: { shutdownSeconds: 20 }
  security:
    toolAccess: { defaultPolicy: allow }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`);
  const client = new Client({ name: 'shutdown-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  let progressed!: () => void;
  const firstProgress = new Promise<void>((r) => (progressed = r));
  const slow = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 4 } }, undefined, { onprogress: () => progressed() });
  await firstProgress; // the call is certainly in flight upstream
  const exited = gw.stop();
  const result = await slow;
  assert.match(JSON.stringify(result.content), /Long running operation completed/);
  assert.equal(await exited, 0);
  const audit = gw.audit();
  const call = audit.find((r) => r.event === 'tool_invoked' && r.tool === 'trigger-long-running-operation');
  assert.ok(call, 'the drained call is audited');
  assert.equal(call.decision, 'allow');
  // Nothing after the stop marker but bookkeeping (e.g. a signed checkpoint of the chain).
  const stopped = audit.findIndex((r) => r.event === 'gateway_stopped');
  assert.ok(stopped > audit.indexOf(call), 'gateway_stopped is written after the drained call');
  await client.close().catch(() => {});
});
