/**
 * Successful reads and lists in the audit log, end to end: the v1 SDK client launches
 * `portcullis wrap` in front of the real server-everything. Level `detailed` (the default) writes
 * what it always wrote (tool calls, denials, failures: no record per list or read); level `full`
 * adds `resource_read`, `prompt_fetched` (arguments redacted), `list_served` and `request_served`
 * (the server's sampling request with its direction); naming an event in `events` selects it alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { EVERYTHING, NODE, readAudit, textOf, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

const config = (audit: string) => `
mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit:
      ${audit}
      destinations: [{ type: file, path: "\${AUDIT}" }]
`;

/** One client session doing a bit of everything; returns the audit records once the gateway exited. */
async function session(auditYaml: string): Promise<Record<string, unknown>[]> {
  const cfg = writeConfig(config(auditYaml));
  const w = wrapCommand([NODE, EVERYTHING, 'stdio'], cfg.path);
  const client = new Client({ name: 'audit-transactions', version: '1' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', model: 'stub', stopReason: 'endTurn', content: { type: 'text', text: 'sampled' } }));
  await client.connect(new StdioClientTransport({ command: w.command, args: w.args, stderr: 'ignore' }));
  await client.listTools();
  const uri = (await client.listResources()).resources[0].uri;
  await client.readResource({ uri });
  await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Paris', state: 'Bearer hunter2SecretValue' } });
  await client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'Eng' } });
  assert.match(textOf(await client.callTool({ name: 'echo', arguments: { message: 'tool' } })), /tool/);
  assert.match(textOf(await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'p', maxTokens: 5 } })), /sampled/);
  // The tool call is the last thing: once its record is there, everything before it was written.
  await waitForAudit({ audit: () => readAudit(cfg.auditPath) } as RunningGateway, (r) => r.event === 'tool_invoked' && r.tool === 'trigger-sampling-request');
  await client.close();
  return readAudit(cfg.auditPath);
}

const TRANSACTIONS = ['resource_read', 'prompt_fetched', 'list_served', 'request_served'];

test('level detailed (the default) writes what it always wrote: tool calls, not every read and list', async () => {
  const recs = await session('level: detailed');
  assert.deepEqual(recs.filter((r) => TRANSACTIONS.includes(String(r.event))), []);
  assert.equal(recs.filter((r) => r.event === 'tool_invoked').length, 2);
});

test('level full records every successful read, list and other request, arguments redacted', async () => {
  const recs = await session('level: full');
  const of = (event: string) => recs.filter((r) => r.event === event);
  const read = of('resource_read');
  assert.equal(read.length, 1);
  assert.equal(read[0].method, 'resources/read');
  assert.match(String(read[0].tool), /^demo:\/\//, 'the URI that was read');
  assert.equal(read[0].decision, 'allow');
  assert.equal(typeof read[0].session, 'string');
  assert.equal(typeof read[0].principal, 'string');
  const prompt = of('prompt_fetched');
  assert.equal(prompt.length, 1);
  assert.equal(prompt[0].tool, 'args-prompt');
  assert.equal((prompt[0].args as { city: string }).city, 'Paris');
  assert.doesNotMatch(JSON.stringify(prompt[0].args), /hunter2/, 'a secret in prompt arguments is redacted');
  assert.deepEqual(of('list_served').map((r) => r.method).sort(), ['resources/list', 'tools/list']);
  const served = of('request_served');
  assert.ok(served.some((r) => r.method === 'completion/complete' && r.decision === 'allow'), 'completion/complete');
  const sampling = served.find((r) => r.method === 'sampling/createMessage');
  assert.ok(sampling, 'the server-to-client request is recorded too');
  assert.deepEqual(sampling.detail, { direction: 'server-to-client' });
  assert.equal(sampling.server, 'upstream');
  assert.equal(of('tool_invoked').length, 2);
});

test('naming an event in audit.events selects it at any level (here resource_read alone)', async () => {
  const recs = await session('level: summary\n      events: [tool_invoked, resource_read]');
  const lifecycle = new Set(['gateway_started', 'gateway_stopped', 'audit_checkpoint']);
  assert.deepEqual([...new Set(recs.map((r) => String(r.event)).filter((e) => !lifecycle.has(e)))].sort(), ['resource_read', 'tool_invoked']);
});
