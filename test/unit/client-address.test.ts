/**
 * The caller's address behind trusted proxies, over real HTTP requests to a real listener: the
 * forwarding header is believed only from a trusted peer, read right to left past trusted hops,
 * never left of the first untrusted one; garbage stops the walk; only the configured header counts.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import { after, before, test } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';
import { ClientAddress, type ProxySettings } from '../../src/transports/client-address.ts';

let port = 0;
let answer: (req: IncomingMessage) => string = () => '';
const server = createServer((req, res) => res.end(answer(req)));

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function seen(settings: ProxySettings, headers: Record<string, string> = {}): Promise<string> {
  const c = new ClientAddress(settings);
  answer = (req) => c.address(req);
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d)).on('end', () => resolve(body));
    });
    r.on('error', reject).end();
  });
}

const XFF = (trustedProxies: string[]): ProxySettings => ({ trustedProxies, forwardedHeader: 'x-forwarded-for' });

test('without trusted proxies the header is ignored', async () => {
  assert.equal(await seen(XFF([]), { 'x-forwarded-for': '203.0.113.5' }), '127.0.0.1');
});

test('from an untrusted peer the header is ignored', async () => {
  assert.equal(await seen(XFF(['10.0.0.0/8']), { 'x-forwarded-for': '203.0.113.5' }), '127.0.0.1');
});

test('from a trusted peer: the right-most untrusted entry; what the caller wrote to its left is not believed', async () => {
  assert.equal(await seen(XFF(['127.0.0.0/8']), { 'x-forwarded-for': '203.0.113.5' }), '203.0.113.5');
  assert.equal(await seen(XFF(['127.0.0.0/8']), { 'x-forwarded-for': '1.1.1.1, 203.0.113.5' }), '203.0.113.5', 'a spoofed left entry');
  assert.equal(await seen(XFF(['127.0.0.1', '10.0.0.0/8']), { 'x-forwarded-for': '1.1.1.1, 203.0.113.5, 10.1.2.3' }), '203.0.113.5', 'past a second trusted hop');
  assert.equal(await seen(XFF(['127.0.0.1', '10.0.0.0/8']), { 'x-forwarded-for': '10.9.9.9, 10.1.2.3' }), '10.9.9.9', 'all trusted: the left-most');
  assert.equal(await seen(XFF(['127.0.0.1']), { 'x-forwarded-for': '[2001:db8::7]:4711' }), '2001:db8::7');
  assert.equal(await seen(XFF(['127.0.0.1']), { 'x-forwarded-for': '203.0.113.5:4711' }), '203.0.113.5');
});

test('garbage in the header stops the walk at the proxy that wrote it', async () => {
  assert.equal(await seen(XFF(['127.0.0.1']), { 'x-forwarded-for': 'evil' }), '127.0.0.1');
  assert.equal(await seen(XFF(['127.0.0.1', '10.0.0.0/8']), { 'x-forwarded-for': '203.0.113.5, unknown, 10.1.2.3' }), '10.1.2.3');
});

test('Forwarded (RFC 7239) when configured, and only the configured header', async () => {
  const fwd: ProxySettings = { trustedProxies: ['127.0.0.1'], forwardedHeader: 'forwarded' };
  assert.equal(await seen(fwd, { forwarded: 'for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.1' }), '2001:db8:cafe::17');
  assert.equal(await seen(fwd, { 'x-forwarded-for': '203.0.113.5' }), '127.0.0.1', 'X-Forwarded-For is not read then');
  assert.equal(await seen(XFF(['127.0.0.1']), { forwarded: 'for=203.0.113.5' }), '127.0.0.1', 'nor Forwarded when X-Forwarded-For is');
});

test('mcp.listen.trustedProxies refuses what is not an address or CIDR, naming the key', () => {
  assert.throws(() => loadConfigText('mcp:\n  listen:\n    trustedProxies: ["10.0.0.0/33"]\n'), /mcp\.listen\.trustedProxies\.0/);
  assert.throws(() => loadConfigText('mcp:\n  listen:\n    trustedProxies: ["lb.internal"]\n'), /not an IP address or CIDR/);
  const ok = loadConfigText('mcp:\n  listen:\n    trustedProxies: ["10.0.0.0/8", "fd00::/8", "192.0.2.7"]\n    forwardedHeader: forwarded\n').config.mcp.listen;
  assert.deepEqual(ok.trustedProxies, ['10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
});
