/**
 * What a server sends on its own reaches a guarded client through the gateway: sampling and
 * elicitation requests are routed to the wrapped v1 client's handlers and answered through it,
 * progress notifications reach `onprogress`, and a cancelled call ends cleanly (the same
 * behaviours wrap-sdk.test.ts proves for `portcullis wrap`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Guard } from '../../src/embed/guard.ts';
import { EVERYTHING, NODE, readAudit, textOf, writeConfig } from '../helpers/gateway-process.ts';

describe('the embedded guard: server requests, progress and cancellation', () => {
  const cfg = writeConfig(`mcp:
  state: {dir: "\${DIR}/state"}
  security:
    toolAccess: {defaultPolicy: allow}
    audit:
      destinations: [{type: file, path: "\${AUDIT}", rotation: none}]
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
`);
  let guard: Guard;
  let client: Client;
  const sampled: string[] = [];

  before(async () => {
    guard = await Guard.fromConfig(cfg.path, { log: () => {}, principal: { subject: 'agent-7', roles: ['support'] } });
    const sdk = new Client({ name: 'guard-requests', version: '1' }, { capabilities: { sampling: {}, elicitation: { form: {} } } });
    sdk.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      sampled.push(JSON.stringify(req.params.messages));
      return { role: 'assistant', model: 'stub', stopReason: 'endTurn', content: { type: 'text', text: 'canned 41c2' } };
    });
    sdk.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Portcullis' } }));
    // The server in mcp.servers is not started by the guard: the client's own connection is used.
    await sdk.connect(new StdioClientTransport({ command: NODE, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
    client = guard.wrap(sdk, { server: 'everything' });
  });

  after(async () => {
    await client?.close().catch(() => {});
    await guard?.close();
  });

  test('sampling: the server asks the client through the gateway and gets its answer', async () => {
    const r = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 20 } });
    assert.ok(textOf(r).includes('canned 41c2'), textOf(r));
    assert.equal(sampled.length, 1);
    assert.match(sampled[0], /Say hi/);
  });

  test('elicitation: routed to the client handler', async () => {
    const r = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    assert.match(textOf(r), /Portcullis/);
  });

  test('progress reaches onprogress; a cancelled call rejects and the session goes on', async () => {
    const seen: number[] = [];
    const r = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    assert.match(textOf(r), /Long running operation completed/);
    assert.ok(seen.length >= 1);
    const ac = new AbortController();
    await assert.rejects(client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 4 } }, undefined, { signal: ac.signal, onprogress: () => ac.abort('stop') }));
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: 'still here' } })), 'Echo: still here');
  });

  test('the audit names the principal the host gave', async () => {
    await guard.close();
    const invoked = readAudit(cfg.auditPath).filter((r) => r.event === 'tool_invoked');
    assert.ok(invoked.length >= 3);
    assert.ok(invoked.every((r) => r.principal === 'agent-7'), JSON.stringify(invoked.map((r) => r.principal)));
    const conn = readAudit(cfg.auditPath).find((r) => r.event === 'connection_established');
    assert.equal(conn?.authMethod, 'embedded');
  });
});
