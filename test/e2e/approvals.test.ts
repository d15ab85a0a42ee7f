/**
 * Human approval of risky calls on a live gateway (`portcullis run`, real server-everything,
 * v1 SDK clients over Streamable HTTP): a client with elicitation is asked and accepts, then
 * declines; a client without it waits for an operator who approves with the CLI (admin API,
 * while progress notifications keep the call alive) or refuses on the state directory; no answer
 * in time is a refusal with its own reason. Every decision is audited with who, how and when.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { EVERYTHING_STDIO, rpcError, runCli, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const TOKEN = 'e2e-approvals-token-5c2e8d1f';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;

const CONFIG = `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
${EVERYTHING_STDIO}
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - {pattern: echo, approval: required}
        - {pattern: get-sum, approval: required, approvalTimeoutSeconds: 1}
        - get-env
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

interface Pending {
  id: string;
  server: string;
  tool: string;
  principal: string;
  requestedAt: string;
  arguments?: Record<string, unknown>;
}

async function connect(url: string, elicit?: (message: string) => 'accept' | 'decline' | 'cancel'): Promise<Client> {
  const client = new Client({ name: 'approvals-e2e', version: '1' }, elicit ? { capabilities: { elicitation: {} } } : {});
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      const action = elicit(req.params.message);
      return action === 'accept' ? { action, content: {} } : { action };
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('human approval of tool calls', () => {
  const dir = tempDir();
  const tokenFile = join(dir, 'admin.token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  let gw: RunningGateway;
  let admin: string;
  const viaApi = (...args: string[]) => runCli(['approvals', ...args, '--url', admin, '--token-file', tokenFile]);
  const viaStateDir = (...args: string[]) => runCli(['approvals', ...args, '--state-dir', join(dir, 'portcullis-state')]);

  before(async () => {
    gw = await startGateway(CONFIG, [], { dir });
    admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
  });
  after(async () => {
    await gw?.stop();
  });

  test('a client with elicitation is asked: accept runs the call, decline refuses it', async () => {
    const questions: string[] = [];
    let answer: 'accept' | 'decline' = 'accept';
    const client = await connect(gw.url, (m) => {
      questions.push(m);
      return answer;
    });
    try {
      const ok = await client.callTool({ name: 'echo', arguments: { message: 'approve me', password: 'hunter2-secret' } });
      assert.equal(textOf(ok), 'Echo: approve me');
      assert.equal(questions.length, 1);
      assert.match(questions[0], /"echo" on the server "everything"/);
      assert.match(questions[0], /approve me/);
      assert.doesNotMatch(questions[0], /hunter2/, 'secrets in the arguments are redacted in the question');
      const granted = await waitForAudit(gw, (r) => r.event === 'approval_granted');
      assert.equal((granted.detail as Record<string, unknown>).via, 'elicitation');
      const invoked = await waitForAudit(gw, (r) => r.event === 'tool_invoked' && r.decision === 'allow' && r.tool === 'echo');
      assert.equal((invoked.detail as { approval: { via: string; approved: boolean } }).approval.via, 'elicitation');

      answer = 'decline';
      const e = await rpcError(client.callTool({ name: 'echo', arguments: { message: 'refuse me' } }));
      assert.equal(e.code, -32008);
      assert.equal(e.data?.reason, 'APPROVAL_DENIED');
      assert.equal(questions.length, 2);
      const denied = await waitForAudit(gw, (r) => r.event === 'approval_denied' && (r.detail as Record<string, unknown>).via === 'elicitation');
      assert.match(String(denied.reason), /decline/);
      const record = await waitForAudit(gw, (r) => r.event === 'tool_denied' && r.code === 'APPROVAL_DENIED');
      assert.equal((record.detail as { approval: { approved: boolean } }).approval.approved, false);
    } finally {
      await client.close();
    }
  });

  test('a client without elicitation waits for an operator: approved with the CLI while progress keeps it alive', async () => {
    const client = await connect(gw.url);
    try {
      let progressSeen!: () => void;
      const firstProgress = new Promise<void>((r) => (progressSeen = r));
      const call = client.callTool({ name: 'echo', arguments: { message: 'operator says yes' } }, undefined, {
        onprogress: () => progressSeen(),
        resetTimeoutOnProgress: true,
        timeout: 120_000,
      });
      let pending: Pending | undefined;
      while (!pending) {
        const r = await viaApi('list', '--json');
        assert.equal(r.status, 0, r.stderr);
        pending = (JSON.parse(r.stdout) as Pending[]).find((p) => p.tool === 'echo');
      }
      assert.equal(pending.server, 'everything');
      assert.ok(pending.principal && pending.requestedAt && /^ap-[0-9a-f]{24}$/.test(pending.id));
      assert.deepEqual(pending.arguments, { message: 'operator says yes' });
      await firstProgress; // the gateway keeps the waiting call alive
      const r = await viaApi('approve', pending.id, '--reason', 'looked fine');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(textOf(await call), 'Echo: operator says yes');
      const granted = await waitForAudit(gw, (x) => x.event === 'approval_granted' && (x.detail as Record<string, unknown>).approvalId === pending.id);
      assert.equal((granted.detail as Record<string, unknown>).via, 'admin-api');
      assert.match(String(granted.principal), /^admin-api@/);
      assert.equal(granted.reason, 'looked fine');
      const again = await viaApi('deny', pending.id);
      assert.notEqual(again.status, 0, 'a decided approval cannot be decided again');
    } finally {
      await client.close();
    }
  });

  test('an operator refuses on the state directory (no admin listener named)', async () => {
    const client = await connect(gw.url);
    try {
      const call = rpcError(client.callTool({ name: 'echo', arguments: { message: 'operator says no' } }));
      let pending: Pending | undefined;
      while (!pending) {
        const r = await viaStateDir('list', '--json');
        assert.equal(r.status, 0, r.stderr);
        pending = (JSON.parse(r.stdout) as Pending[]).find((p) => p.tool === 'echo');
      }
      const r = await viaStateDir('deny', pending.id);
      assert.equal(r.status, 0, r.stderr);
      const e = await call;
      assert.equal(e.code, -32008);
      assert.equal(e.data?.reason, 'APPROVAL_DENIED');
      const denied = await waitForAudit(gw, (x) => x.event === 'approval_denied' && (x.detail as Record<string, unknown>).approvalId === pending.id);
      assert.equal((denied.detail as Record<string, unknown>).via, 'state-file');
      assert.match(String(denied.principal), /portcullis approvals/);
    } finally {
      await client.close();
    }
  });

  test('no answer before the timeout: refused with APPROVAL_TIMEOUT; a tool without approval is not held', async () => {
    const client = await connect(gw.url);
    try {
      const e = await rpcError(client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }));
      assert.equal(e.code, -32008);
      assert.equal(e.data?.reason, 'APPROVAL_TIMEOUT');
      const denied = await waitForAudit(gw, (x) => x.event === 'approval_denied' && x.tool === 'get-sum');
      assert.equal((denied.detail as Record<string, unknown>).via, 'timeout');
      assert.equal(denied.principal, 'timeout');
      const listed = await viaApi('list', '--json');
      assert.deepEqual((JSON.parse(listed.stdout) as Pending[]).filter((p) => p.tool === 'get-sum'), [], 'a timed-out approval is no longer listed');
      const env = await client.callTool({ name: 'get-env', arguments: {} });
      assert.ok(textOf(env).length > 0);
    } finally {
      await client.close();
    }
  });
});
