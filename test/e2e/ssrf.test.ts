/**
 * SSRF end to end: server-everything's gzip-file-as-resource fetches any URL it is given. Through
 * the gateway, loopback in every spelling (decimal, hex, IPv6-mapped, `localhost`, this machine's
 * own host name resolved by the system resolver) is refused before the server sees the call, and
 * a local HTTP server records that nothing reached it. The control run, with
 * `privateAddresses: allow`, shows the server does fetch it.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { withGatewayClient } from '../helpers/gateway-client.ts';
import { rpcError } from '../helpers/gateway-process.ts';

const hits: string[] = [];
const target = createServer((req, res) => {
  hits.push(req.url ?? '');
  res.end('internal secret');
});
let port = 0;

const config = (privateAddresses: 'deny' | 'allow') => `mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  servers: [{ name: ev, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }]
  security:
    toolAccess: { defaultPolicy: deny, allowedTools: [gzip-file-as-resource, echo] }
    argumentGuards: { privateAddresses: ${privateAddresses} }
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`;

before(async () => {
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  port = (target.address() as { port: number }).port;
});
after(() => target.close());

const withGateway = (privateAddresses: 'deny' | 'allow', fn: Parameters<typeof withGatewayClient>[1]) => withGatewayClient(config(privateAddresses), fn);

const fetchVia = (c: Client, data: string) => c.callTool({ name: 'gzip-file-as-resource', arguments: { name: 'x.gz', data, outputType: 'resource' } });

test('loopback in every spelling is refused before the server fetches it', async () => {
  await withGateway('deny', async (c, gw) => {
    for (const u of [
      `http://127.0.0.1:${port}/a`,
      `http://2130706433:${port}/decimal`,
      `http://0x7f000001:${port}/hex`,
      `http://0177.0.0.1:${port}/octal`,
      `http://[::ffff:127.0.0.1]:${port}/mapped`,
      `http://localhost:${port}/name`,
      `http://${hostname()}:${port}/own-hostname`,
      `http://169.254.169.254/latest/meta-data/`,
    ]) {
      const e = await rpcError(fetchVia(c, u));
      assert.equal(e.data?.reason, 'POLICY_DENIED', u);
    }
    assert.deepEqual(hits, [], 'nothing reached the internal server');
    await new Promise((r) => setTimeout(r, 300));
    const recs = gw.audit().filter((r) => r.code === 'POLICY_DENIED');
    assert.equal(recs.length, 8);
    for (const r of recs) {
      assert.match(String(r.rule), /^argumentGuards\.(privateAddresses|url)$/);
      assert.equal(r.argument, 'data');
    }
    const ok = await fetchVia(c, 'data:text/plain,hello');
    assert.notEqual(ok.isError, true, 'a URL with nothing to resolve still works');
  });
});

test('control: allowed private addresses, the server does fetch the internal URL', async () => {
  await withGateway('allow', async (c) => {
    await fetchVia(c, `http://127.0.0.1:${port}/control`);
    assert.deepEqual(hits, ['/control']);
  });
});
