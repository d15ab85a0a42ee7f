/**
 * Server-to-client size cap (`maxContextSize`): an oversized result is dropped unread, its call
 * fails at once with RESULT_TOO_LARGE (not at the timeout), and the server is not left wedged.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EVERYTHING, readAudit, startGateway, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

const YAML = `mcp:
  servers: [{ name: ev, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }]
  timeouts: { requestSeconds: 60 }
  security:
    toolAccess: { defaultPolicy: allow }
    validation: { maxContextSize: 65536 }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`;

async function expectTooLarge(client: Client): Promise<void> {
  await assert.rejects(client.callTool({ name: 'echo', arguments: { message: 'x'.repeat(70_000) } }), (e: { code?: number; data?: { reason?: string } }) => {
    assert.equal(e.code, -32014);
    assert.equal(e.data?.reason, 'RESULT_TOO_LARGE');
    return true;
  });
  const ok = await client.callTool({ name: 'echo', arguments: { message: 'still alive' } });
  assert.match(JSON.stringify(ok.content), /still alive/);
}

let gw: RunningGateway;
before(async () => {
  gw = await startGateway(YAML);
});
after(() => gw.stop());

test('over HTTP (portcullis run)', async () => {
  const client = new Client({ name: 'limits', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  await expectTooLarge(client);
  await client.close();
});

test('over stdio (portcullis wrap), and the drop is audited', async () => {
  const cfg = writeConfig(YAML);
  const w = wrapCommand(['node', EVERYTHING, 'stdio'], cfg.path);
  const client = new Client({ name: 'limits', version: '1' });
  await client.connect(new StdioClientTransport({ command: w.command, args: w.args, stderr: 'ignore' }));
  await expectTooLarge(client);
  await client.close();
  const audit = readAudit(cfg.auditPath);
  assert.ok(audit.some((r) => r.event === 'upstream_error' && r.code === 'RESULT_TOO_LARGE'), JSON.stringify(audit.map((r) => [r.event, r.code])));
});
