/**
 * Behind a load balancer (`mcp.listen.trustedProxies`), on a real `portcullis run` with real
 * server-everything and v1 SDK clients whose requests carry X-Forwarded-For as a proxy would set
 * it: anonymous callers get a rate-limit bucket each by their own address, not one shared by
 * everyone behind the balancer; a spoofed left entry changes nothing; the audit names the caller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { rpcError, startGateway, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const CONFIG = `
mcp:
  listen: {host: 127.0.0.1, port: 0, path: /mcp, trustedProxies: ["127.0.0.1/32", "::1"]}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}
    rateLimiting:
      requestsPerMinute: 60000
      burstSize: 5000
      perPrincipal: {requestsPerMinute: 1, burstSize: 2}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

describe('trusted proxies: the caller behind the balancer', () => {
  let gw: RunningGateway;
  const clients: Client[] = [];
  const through = async (xff: string) => {
    const c = new Client({ name: 'behind-lb', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { 'x-forwarded-for': xff } } }));
    clients.push(c);
    return c;
  };
  const echo = (c: Client) => c.callTool({ name: 'echo', arguments: { message: 'hi' } });

  before(async () => {
    gw = await startGateway(CONFIG);
  });
  after(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gw?.stop();
  });

  test('each forwarded caller has its own bucket; a spoofed left entry is not believed; audited by address', async () => {
    const alice = await through('203.0.113.5');
    const bob = await through('203.0.113.6');
    assert.match(textOf(await echo(alice)), /hi/);
    assert.match(textOf(await echo(alice)), /hi/);
    assert.equal((await rpcError(echo(alice))).data?.reason, 'RATE_LIMITED', "alice's own bucket is spent");
    assert.match(textOf(await echo(bob)), /hi/, "bob behind the same balancer is not (he would be without trustedProxies)");
    // The caller writes what it likes to the left; the balancer appends the address it saw.
    const spoof = await through('203.0.113.6, 203.0.113.5');
    assert.equal((await rpcError(echo(spoof))).data?.reason, 'RATE_LIMITED', "keyed by the balancer's entry (alice's), not the spoofed one");
    // Both refusals on disk (the audit file is written asynchronously).
    await waitForAudit(gw, () => gw.audit().filter((x) => JSON.stringify(x).includes('RATE_LIMITED')).length >= 2, 20_000);
    const records = gw.audit();
    const limited = records.filter((r) => JSON.stringify(r).includes('RATE_LIMITED'));
    assert.ok(limited.length >= 2);
    assert.ok(limited.every((r) => /203\.0\.113\.5/.test(JSON.stringify(r))), 'the audit names the caller, not the balancer');
    assert.ok(records.some((r) => /203\.0\.113\.6/.test(JSON.stringify(r))));
  });
});
