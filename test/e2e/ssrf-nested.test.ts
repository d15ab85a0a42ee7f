/**
 * SSRF through arguments a top-level-name check does not see, end to end: `portcullis run` in
 * front of a real MCP server (test/fixtures/servers/fetch-server.ts) whose tools fetch a URL
 * nested in an object or an array, a `{host, port}` pair, or a scheme-less `page`. A local HTTP
 * listener on loopback (another port) is the internal target and records what reached it.
 * The control, with `privateAddresses: allow`, shows every one of these calls does reach it.
 *
 * Then the limit the gateway has and says so: it checks the URL it is given, not where a redirect
 * leads. A 302 from an allowed port to another is followed by the server; only the sandbox's
 * egress allowlist, which sees every connection, stops that (test/e2e/sandbox-egress.test.ts).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { withGatewayClient } from '../helpers/gateway-client.ts';
import { ROOT, rpcError, textOf } from '../helpers/gateway-process.ts';

const FETCH_SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'fetch-server.ts');

const hits: string[] = [];
let internal: Server;
let port = 0;
let redirector: Server;
let redirectPort = 0;

function listen(handler: Parameters<typeof createServer>[1]): Promise<[Server, number]> {
  const s = createServer(handler);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve([s, (s.address() as { port: number }).port])));
}

before(async () => {
  [internal, port] = await listen((req, res) => {
    hits.push(req.url ?? '');
    res.end('internal secret');
  });
  [redirector, redirectPort] = await listen((req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${port}/after-redirect` });
    res.end();
  });
});
after(() => {
  internal.close();
  redirector.close();
});

const config = (security: string) => `mcp:
  servers: [{ name: f, command: "\${NODE}", args: [${JSON.stringify(FETCH_SERVER)}] }]
  security:
    rateLimiting: { enabled: false }
${security}
    audit: { destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`;

const withGateway = (security: string, fn: Parameters<typeof withGatewayClient>[1]) => withGatewayClient(config(security), fn);

const attacks = (): { tool: string; args: Record<string, unknown>; argument: string; path: string }[] => [
  { tool: 'fetch_request', args: { request: { url: `http://127.0.0.1:${port}/nested` } }, argument: 'request.url', path: '/nested' },
  { tool: 'fetch_batch', args: { requests: [{ url: `http://localhost:${port}/batch` }] }, argument: 'requests[0].url', path: '/batch' },
  { tool: 'probe', args: { host: '127.0.0.1', port, path: '/host' }, argument: 'host', path: '/host' },
  { tool: 'probe', args: { host: '2130706433', port, path: '/decimal-host' }, argument: 'host', path: '/decimal-host' },
  { tool: 'open_page', args: { page: `127.0.0.1:${port}/page` }, argument: 'page', path: '/page' },
  { tool: 'open_page', args: { page: `localhost:${port}/page-name` }, argument: 'page', path: '/page-name' },
];

test('nested URLs, host-only and scheme-less arguments to loopback are refused before the server sees them', async () => {
  await withGateway('    toolAccess: { defaultPolicy: allow }', async (c, gw) => {
    for (const a of attacks()) {
      const e = await rpcError(c.callTool({ name: a.tool, arguments: a.args }));
      assert.equal(e.data?.reason, 'POLICY_DENIED', `${a.tool} ${JSON.stringify(a.args)}`);
    }
    assert.deepEqual(hits, [], 'nothing reached the internal server');
    await new Promise((r) => setTimeout(r, 300));
    const recs = gw.audit().filter((r) => r.code === 'POLICY_DENIED');
    assert.deepEqual(
      recs.map((r) => r.argument),
      attacks().map((a) => a.argument),
    );
    for (const r of recs) assert.equal(r.rule, 'argumentGuards.privateAddresses');
  });
});

test('control: with private addresses allowed, every one of those calls reaches the internal server', async () => {
  hits.length = 0;
  await withGateway('    toolAccess: { defaultPolicy: allow }\n    argumentGuards: { privateAddresses: allow }', async (c) => {
    for (const a of attacks()) assert.match(textOf(await c.callTool({ name: a.tool, arguments: a.args })), /^200 internal secret/, a.tool);
  });
  assert.deepEqual(hits, attacks().map((a) => a.path));
});

test('documented limit: allowedPorts judges the URL given; a 302 to another port is followed by the server', async () => {
  hits.length = 0;
  const rule = `    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - { pattern: fetch_url, allowedHosts: ["127.0.0.1"], allowedPorts: [${redirectPort}], allowPrivateAddresses: true }`;
  await withGateway(rule, async (c) => {
    const direct = await rpcError(c.callTool({ name: 'fetch_url', arguments: { url: `http://127.0.0.1:${port}/direct` } }));
    assert.equal(direct.data?.reason, 'POLICY_DENIED', 'the other port, named directly, is refused');
    const r = await c.callTool({ name: 'fetch_url', arguments: { url: `http://127.0.0.1:${redirectPort}/go` } });
    assert.match(textOf(r), /^200 internal secret/, 'the redirect was followed: the gateway never saw its target');
  });
  assert.deepEqual(hits, ['/after-redirect']);
});
