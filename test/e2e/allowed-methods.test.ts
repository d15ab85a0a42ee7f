/**
 * `validation.allowedMethods` end to end, in both directions: the v1 SDK client launches
 * `portcullis wrap` in front of the real server-everything (stdio), and `portcullis run` fronts it
 * over HTTP with a per-server list. Methods the revision defines but the list does not name
 * (`completion/complete`, `resources/subscribe`, `logging/setLevel`; a server's
 * `sampling/createMessage`) are refused as -32601 and audited with the rule; the rest work.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { EVERYTHING, EVERYTHING_STDIO, NODE, readAudit, rpcError, startGateway, textOf, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

// The seed's own list (its `validateMCPCSchema`), which has neither completions, subscriptions,
// logging nor any server-to-client request.
const SEED_LIST = '[tools/list, tools/call, resources/list, resources/read, prompts/list, prompts/get]';

const WRAP_CONFIG = `
mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    validation: { allowedMethods: ${SEED_LIST} }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}" }]
`;

describe('validation.allowedMethods through portcullis wrap (both directions)', () => {
  const cfg = writeConfig(WRAP_CONFIG);
  const audited = { audit: () => readAudit(cfg.auditPath) } as RunningGateway;
  let client: Client;
  let child: ChildProcess | undefined;
  const samplingRequests: unknown[] = [];

  before(async () => {
    const w = wrapCommand([NODE, EVERYTHING, 'stdio'], cfg.path);
    const transport = new StdioClientTransport({ command: w.command, args: w.args, stderr: 'pipe' });
    client = new Client({ name: 'allowed-methods-e2e', version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      samplingRequests.push(req.params);
      return { role: 'assistant', model: 'stub', stopReason: 'endTurn', content: { type: 'text', text: 'sampled' } };
    });
    await client.connect(transport);
    child = (transport as unknown as { _process?: ChildProcess })._process;
  });
  after(async () => {
    await client?.close().catch(() => {});
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  test('what the list names works; ping is the lifecycle and always answered', async () => {
    assert.match(textOf(await client.callTool({ name: 'echo', arguments: { message: 'allowed' } })), /allowed/);
    assert.ok((await client.listResources()).resources.length > 0);
    assert.ok((await client.listPrompts()).prompts.length > 0);
    await client.ping();
  });

  test('completion/complete, resources/subscribe and logging/setLevel are refused as if they did not exist, and audited with the rule', async () => {
    const refusals = [
      await rpcError(client.complete({ ref: { type: 'ref/prompt', name: 'args-prompt' }, argument: { name: 'city', value: 'Par' } })),
      await rpcError(client.subscribeResource({ uri: 'demo://resource/static/document/architecture.md' })),
      await rpcError(client.setLoggingLevel('debug')),
    ];
    for (const e of refusals) {
      assert.equal(e.code, -32601);
      assert.equal(e.data?.reason, 'METHOD_NOT_FOUND');
      assert.doesNotMatch(e.message, /allowedMethods|policy/i, 'the wire says nothing about the policy');
    }
    for (const method of ['completion/complete', 'resources/subscribe', 'logging/setLevel']) {
      const rec = await waitForAudit(audited, (r) => r.method === method && r.event === 'schema_validation_failed');
      assert.equal(rec.rule, 'validation.allowedMethods');
      assert.equal(rec.decision, 'deny');
      assert.equal(rec.code, 'METHOD_NOT_FOUND');
    }
  });

  test("the server's sampling/createMessage is refused to the server and never reaches the client", async () => {
    const r = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hello', maxTokens: 5 } }).catch((e: Error) => e);
    const text = r instanceof Error ? r.message : textOf(r);
    assert.doesNotMatch(text, /sampled/, 'no sampled answer came back');
    assert.deepEqual(samplingRequests, [], 'the client never saw the request');
    const rec = await waitForAudit(audited, (x) => x.method === 'sampling/createMessage' && x.rule === 'validation.allowedMethods');
    assert.equal(rec.event, 'schema_validation_failed');
    assert.equal(rec.decision, 'deny');
    assert.equal(rec.server, 'upstream');
    assert.deepEqual(rec.detail, { direction: 'server-to-client' });
  });
});

describe("a server's own validation.allowedMethods (portcullis run)", () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(`
mcp:
${EVERYTHING_STDIO}
      security:
        validation: { allowedMethods: [tools/list, tools/call, resources/list] }
  security:
    toolAccess: { defaultPolicy: allow }
    rateLimiting: { enabled: false }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}" }]
`);
  });
  after(async () => {
    await gw?.stop();
  });

  test("a method routed to that server outside its list is refused; the gateway's own lists still answer", async () => {
    const client = new Client({ name: 'per-server', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    try {
      assert.match(textOf(await client.callTool({ name: 'echo', arguments: { message: 'ok' } })), /ok/);
      const uri = (await client.listResources()).resources[0].uri;
      const e = await rpcError(client.readResource({ uri }));
      assert.equal(e.code, -32601);
      assert.equal(e.data?.reason, 'METHOD_NOT_FOUND');
    } finally {
      await client.close();
    }
    const rec = await waitForAudit(gw, (r) => r.method === 'resources/read' && r.rule === 'validation.allowedMethods');
    assert.equal(rec.server, 'everything');
    assert.match(String(rec.reason), /server 'everything' validation\.allowedMethods/);
  });
});
