/**
 * Rate limits keyed by principal, by principal and tool, and by server, end to end: `portcullis
 * run` in front of the real server-everything, callers identified by API keys from `portcullis
 * keys api-key`, v1 SDK clients over Streamable HTTP. The per-session bucket alone lets a caller
 * multiply its budget by opening sessions and spreading calls over tools; the keyed buckets do not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { apiKeyClient, issueApiKey, type IssuedKey } from '../helpers/api-keys.ts';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { EVERYTHING_STDIO, rpcError, startGateway, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const config = (keys: IssuedKey[], buckets: string) => `
mcp:
  identity:
    apiKeys:
${keys.map((k) => k.yaml).join('\n')}
${EVERYTHING_STDIO}
  security:
    requireAuth: true
    toolAccess: { defaultPolicy: allow }
    # The per-session-and-tool bucket is generous here: only the keyed bucket can refuse.
    rateLimiting: { requestsPerMinute: 600, burstSize: 100, cooldownSeconds: 60, ${buckets} }
    audit:
      destinations: [{ type: file, path: "\${AUDIT}" }]
`;

const echo = (c: Client, message = 'x') => c.callTool({ name: 'echo', arguments: { message } });
const sum = (c: Client) => c.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });

async function refusedWith(call: Promise<unknown>): Promise<void> {
  const e = await rpcError(call);
  assert.equal(e.code, -32010);
  assert.equal(e.data?.reason, 'RATE_LIMITED');
  assert.ok(Number(e.data?.retryAfterSeconds) >= 1);
}

describe('rate limits keyed by principal, principal and tool, and server', () => {
  const alice = issueApiKey('alice-key', 'alice');
  const bob = issueApiKey('bob-key', 'bob');
  const clients: Client[] = [];
  const open = async (gw: RunningGateway, k: IssuedKey) => {
    const c = await apiKeyClient(gw.url, k.key);
    clients.push(c);
    return c;
  };
  let gw: RunningGateway | undefined;
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
  });
  /** A gateway with these keyed buckets for the tests `fn` declares. */
  const withBuckets = (name: string, buckets: string, fn: () => void) =>
    describe(name, () => {
      before(async () => {
        gw = await startGateway(config([alice, bob], buckets));
      });
      after(async () => {
        await gw?.stop();
      });
      fn();
    });

  withBuckets('perPrincipal', 'perPrincipal: { requestsPerMinute: 1, burstSize: 3 }', () => {

    test('new sessions and other tools do not multiply a principal\'s budget; another principal has its own', async () => {
      const s1 = await open(gw!, alice);
      const s2 = await open(gw!, alice);
      assert.match(textOf(await echo(s1, 'one')), /one/);
      assert.match(textOf(await sum(s1)), /3/);
      assert.match(textOf(await echo(s2, 'three')), /three/);
      // Fourth call of alice: a fresh session and a tool this session never called.
      await refusedWith(sum(s2));
      await refusedWith(echo(await open(gw!, alice)));
      assert.match(textOf(await echo(await open(gw!, bob), 'bob')), /bob/, "bob's budget is his own");
      const rec = await waitForAudit(gw!, (r) => r.event === 'rate_limit_exceeded' && r.principal === 'alice');
      assert.equal(rec.rule, 'rateLimiting.perPrincipal');
      assert.match(String(rec.reason), /principal 'alice'/);
      assert.equal(rec.authMethod, 'api-key');
    });
  });

  withBuckets('perPrincipalTool', 'perPrincipalTool: { requestsPerMinute: 1, burstSize: 2 }', () => {

    test('a tool\'s budget follows the principal across sessions; other tools keep theirs', async () => {
      const s1 = await open(gw!, alice);
      await echo(s1);
      await echo(await open(gw!, alice));
      await refusedWith(echo(await open(gw!, alice)));
      assert.match(textOf(await sum(s1)), /3/, 'get-sum has its own bucket');
      await echo(await open(gw!, bob));
      const rec = await waitForAudit(gw!, (r) => r.event === 'rate_limit_exceeded');
      assert.equal(rec.rule, 'rateLimiting.perPrincipalTool');
      assert.equal(rec.tool, 'echo');
    });
  });

  withBuckets('perServer', 'perServer: { requestsPerMinute: 1, burstSize: 3 }', () => {

    test('every caller shares the server\'s budget', async () => {
      const a = await open(gw!, alice);
      const b = await open(gw!, bob);
      await echo(a);
      await sum(b);
      await echo(b);
      await refusedWith(sum(a));
      const rec = await waitForAudit(gw!, (r) => r.event === 'rate_limit_exceeded');
      assert.equal(rec.rule, 'rateLimiting.perServer');
      assert.match(String(rec.reason), /server 'everything'/);
    });
  });
});
