/**
 * Identity over stdio end to end: `portcullis wrap` in front of server-everything, driven by the
 * v1 SDK client; the configured `stdioSubject` and `stdioRoles` reach the tool policy and the
 * audit record (the HTTP side: identity-jwt.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { EVERYTHING, NODE, readAudit, rpcError, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';

describe('stdio (portcullis wrap): the configured subject and roles reach the policy', { timeout: 120_000 }, () => {
  test('stdioRoles [analyst] may call get-sum; the audit names the subject and local-user', async () => {
    const yaml = (roles: string) => `
mcp:
  identity: {stdioSubject: desk-agent, stdioRoles: [${roles}]}
  security:
    requireAuth: true
    toolAccess: {defaultPolicy: deny, allowedTools: [echo, {pattern: get-sum, roles: [analyst]}]}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;
    for (const [roles, allowed] of [['analyst', true], ['viewer', false]] as const) {
      const cfg = writeConfig(yaml(roles));
      const { command, args } = wrapCommand([NODE, EVERYTHING, 'stdio'], cfg.path);
      const client = new Client({ name: 'identity-e2e-stdio', version: '0' });
      await client.connect(new StdioClientTransport({ command, args, stderr: 'pipe' }));
      const tools = (await client.listTools()).tools.map((t) => t.name);
      assert.equal(tools.includes('get-sum'), allowed);
      if (allowed) assert.match(textOf(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })), /3/);
      else assert.equal((await rpcError(client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }))).data?.reason, 'UNKNOWN_TOOL');
      await client.close();
      let rec: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !rec; i++) {
        rec = readAudit(cfg.auditPath).find((r) => r.tool === 'get-sum');
        if (!rec) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(rec?.principal, 'desk-agent');
      assert.equal(rec?.authMethod, 'local-user');
    }
  });
});
