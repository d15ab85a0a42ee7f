/**
 * Listing and calling agree: for every tool the servers really have, it is listed exactly when a
 * call to it gets past authorization. Global rules, default deny, deny-wins and per-server
 * overrides (the seed's per-skill shape) are all in play, across two namespaced servers.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EVERYTHING, MEMORY, NODE, startGateway, tempDir, type RunningGateway } from '../helpers/gateway-process.ts';
import { join } from 'node:path';

const memFile = join(tempDir(), 'memory.jsonl');
let gw: RunningGateway;
let client: Client;
const real = new Map<string, string[]>();

before(async () => {
  gw = await startGateway(`mcp:
  servers:
    - { name: ev, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }
    - name: mem
      command: "\${NODE}"
      args: ["\${MEMORY}"]
      env: { MEMORY_FILE_PATH: "${memFile}" }
      security:
        toolAccess:
          allowedTools: [read_graph, search_nodes, delete_entities, open_nodes]
          deniedTools: [open_nodes]
  skills:
    - name: ev
      security:
        toolAccess:
          deniedTools: [get-sum]
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum, "ev__get-tiny-image", read_graph]
      deniedTools: ["*delete*"]
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`);
  client = new Client({ name: 'agreement', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  // What the servers really offer, asked directly.
  for (const [name, args, env] of [['ev', [EVERYTHING, 'stdio'], {}], ['mem', [MEMORY], { MEMORY_FILE_PATH: memFile }]] as const) {
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(new StdioClientTransport({ command: NODE, args: [...args], env: { ...process.env, ...env } as Record<string, string>, stderr: 'ignore' }));
    real.set(name, (await direct.listTools()).tools.map((t) => t.name));
    await direct.close();
  }
});
after(async () => {
  await client.close().catch(() => {});
  await gw.stop();
});

test('the listed tools are exactly the ones the policy allows', async () => {
  const listed = (await client.listTools()).tools.map((t) => t.name).sort();
  // echo: global allow. get-sum: denied for ev by its skill override. get-tiny-image: allowed by its
  // namespaced name. mem: its own allow list replaces the global one; delete_* stays denied by the
  // global deny; open_nodes denied by the server's own deny.
  assert.deepEqual(listed, ['ev__echo', 'ev__get-tiny-image', 'mem__read_graph', 'mem__search_nodes']);
});

test('every real tool is callable exactly when it is listed', async () => {
  const listed = new Set((await client.listTools()).tools.map((t) => t.name));
  let checked = 0;
  for (const [server, tools] of real) {
    for (const tool of tools) {
      const exposed = `${server}__${tool}`;
      let reason = 'allowed';
      try {
        await client.callTool({ name: exposed, arguments: {} });
      } catch (e) {
        reason = (e as { data?: { reason?: string } }).data?.reason ?? 'other';
      }
      const denied = reason === 'UNKNOWN_TOOL';
      assert.equal(!denied, listed.has(exposed), `${exposed}: listed=${listed.has(exposed)} call=${reason}`);
      checked++;
    }
  }
  assert.ok(checked >= 15, `checked ${checked} tools`);
});

test('every denial is audited with the rule that decided it', async () => {
  await assert.rejects(client.callTool({ name: 'mem__delete_entities', arguments: { entityNames: [] } }));
  await client.close();
  assert.equal(await gw.stop(), 0); // a clean stop flushes the batched audit writer
  const denial = gw.audit().find((r) => r.event === 'tool_denied' && r.tool === 'delete_entities');
  assert.ok(denial);
  assert.match(String(denial.rule), /deniedTools\[\d+\]: \*delete\*/);
});
