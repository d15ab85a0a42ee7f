/**
 * Flow rules over resources and prompts, both ways: reading a resource labeled private data taints
 * the session (whatever its spelling: label patterns meet normalized URIs), and a resource or a
 * prompt labeled as a sink is then refused for the rest of it — a template value or a prompt
 * argument can carry data out as well as a tool argument. A fresh session is not tainted.
 * Real `portcullis run` in front of server-everything, v1 SDK client.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EVERYTHING_STDIO, rpcError, startGateway, type RunningGateway } from '../helpers/gateway-process.ts';

let gw: RunningGateway;

before(async () => {
  gw = await startGateway(`mcp:
${EVERYTHING_STDIO}
  security:
    toolAccess: { defaultPolicy: allow }
    resourceLabels:
      "demo://resource/static/*": [private-data]
      "DEMO://resource/dynamic/blob/*": [external-sink]
    promptLabels:
      args-prompt: [external-sink]
    flowRules:
      - { name: no-exfiltration, after: [private-data], deny: [external-sink] }
    pinning: { enabled: false }
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`);
});
after(() => gw.stop());

async function session<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ name: 'flow-labels', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

const sinkResource = (c: Client) => c.readResource({ uri: 'demo://resource/dynamic/blob/7' });
const sinkPrompt = (c: Client) => c.getPrompt({ name: 'args-prompt', arguments: { city: 'exfiltrated' } });

test('an untainted session may use the sinks', async () => {
  await session(async (c) => {
    assert.ok((await sinkResource(c)).contents.length);
    assert.ok((await sinkPrompt(c)).messages.length);
  });
});

test('after a private resource is read (spelled in another case, with a dot segment), sink resources and prompts are refused', async () => {
  await session(async (c) => {
    assert.ok((await c.readResource({ uri: 'DEMO://resource/static/document/./architecture.md' })).contents.length);
    assert.equal((await rpcError(sinkResource(c))).data?.reason, 'POLICY_DENIED');
    assert.equal((await rpcError(sinkPrompt(c))).data?.reason, 'POLICY_DENIED');
    assert.ok((await c.readResource({ uri: 'demo://resource/dynamic/text/1' })).contents.length, 'unlabeled resources still read');
  });
  // The audit sink batches writes: wait (bounded) for both refusals to land.
  const refusals = () => gw.audit().filter((r) => r.rule === 'flowRules[0]: no-exfiltration');
  const landed = () => refusals().some((r) => r.method === 'resources/read') && refusals().some((r) => r.method === 'prompts/get');
  for (const end = Date.now() + 15_000; !landed() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  const denials = refusals();
  assert.ok(denials.some((r) => r.method === 'resources/read'), JSON.stringify(denials));
  assert.ok(denials.some((r) => r.method === 'prompts/get'), JSON.stringify(denials));
  await session(async (c) => assert.ok((await sinkResource(c)).contents.length, 'a fresh session is clean'));
});
