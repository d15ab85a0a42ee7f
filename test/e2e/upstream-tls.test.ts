/**
 * HTTPS upstreams through `portcullis run`: a real MCP server over TLS (v1 SDK, test/helpers/
 * https-upstream.ts) verified with the configured CA, refused with the wrong CA, pinned (a
 * mismatch is refused, audited and alerted; the right pin works), reached with a client
 * certificate the upstream requires (from the seed's `mcp.security.mtls` block), over the hybrid
 * post-quantum group. Credentials: the gateway's own OAuth client-credentials token reaches the
 * upstream, the client's token never does; refresh after expiry and after a 401; the secret and
 * the tokens appear neither in the audit nor in the logs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { makePki, type TestPki } from '../helpers/certs.ts';
import { startGateway, textOf, type RunningGateway } from '../helpers/gateway-process.ts';
import { startHttpsUpstream, startTokenEndpoint, type HttpsUpstream, type TokenEndpoint } from '../helpers/https-upstream.ts';

// An API key (pcl_ + 43 base64url characters) the client presents to the gateway.
const CLIENT_KEY = 'pcl_clientTokenMustNeverGoUpstream7d1e012345678';

const gatewayYaml = (server: string, security = '') => `
mcp:
  listen: { host: 127.0.0.1, port: 0 }
  identity:
    apiKeys: [{ id: k1, subject: agent, hash: "sha256:${createHash('sha256').update(CLIENT_KEY).digest('hex')}" }]
  servers:
    - name: up
${server}
  security:
    toolAccess: { defaultPolicy: allow }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
${security}
`;

async function connect(gw: RunningGateway): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { authorization: `Bearer ${CLIENT_KEY}` } } });
  const client = new Client({ name: 'upstream-tls-e2e', version: '0.0.1' });
  await client.connect(transport);
  return client;
}

async function whoami(gw: RunningGateway): Promise<{ authorization?: string; clientCertCn?: string }> {
  const client = await connect(gw);
  try {
    return JSON.parse(textOf(await client.callTool({ name: 'whoami', arguments: {} })));
  } finally {
    await client.close();
  }
}

describe('HTTPS upstream: verification, client certificate, pinning', () => {
  let pki: TestPki;
  let up: HttpsUpstream;
  const gws: RunningGateway[] = [];
  before(async () => {
    pki = makePki();
    up = await startHttpsUpstream(pki, { requireClientCert: true });
  });
  after(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await up?.close();
  });
  const start = async (server: string, security = '') => {
    const gw = await startGateway(gatewayYaml(server, security));
    gws.push(gw);
    return gw;
  };

  test('verified with the CA, client certificate from mcp.security.mtls presented, X25519MLKEM768 audited', async () => {
    const gw = await start(`      url: "${up.url}"`, `    mtls: { enabled: true, clientCertPath: "${pki.clientCn.cert}", clientKeyPath: "${pki.clientCn.key}", caCertPath: "${pki.ca.cert}", serverName: localhost }`);
    const seen = await whoami(gw);
    assert.equal(seen.clientCertCn, 'bob');
    const rec = await waitForAudit(gw, (r) => r.event === 'connection_established' && r.server === 'up');
    const tls = (rec.detail as { direction: string; tls: { group: string; postQuantum: boolean; peerVerified: boolean; peerFingerprint: string } }).tls;
    assert.equal(tls.group, 'X25519MLKEM768');
    assert.equal(tls.postQuantum, true);
    assert.equal(tls.peerVerified, true);
    assert.equal(tls.peerFingerprint, pki.server.fingerprint);
  });

  test('the wrong CA: the upstream is not reached', async () => {
    const gw = await start(`      url: "${up.url}"
      tls: { caPath: "${pki.untrustedCa.cert}", clientCertPath: "${pki.clientCn.cert}", clientKeyPath: "${pki.clientCn.key}" }`);
    await assert.rejects(connect(gw));
    assert.match(gw.stderr(), /not ready: .*(certificate|self-signed|issuer)/i);
  });

  test('a pin mismatch refuses the connection, is audited and raises an alert', async () => {
    const wrong = 'AB:'.repeat(31) + 'AB';
    const gw = await start(`      url: "${up.url}"
      tls: { caPath: "${pki.ca.cert}", clientCertPath: "${pki.clientCn.cert}", clientKeyPath: "${pki.clientCn.key}", expectedFingerprint: "${wrong}" }`);
    await assert.rejects(connect(gw));
    const rec = await waitForAudit(gw, (r) => r.event === 'certificate_pin_mismatch');
    assert.equal(rec.server, 'up');
    assert.equal((rec.detail as { presented: string }).presented, pki.server.fingerprint);
    const alert = await waitForAudit(gw, (r) => r.event === 'alert_raised');
    assert.match(JSON.stringify(alert), /CERTIFICATE_PIN_MISMATCH|certificatePinMismatch/);
  });

  test('the right pin works (a list during rotation, hex without colons), even with verification off', async () => {
    const right = pki.server.fingerprint.replace(/:/g, '').toLowerCase();
    const gw = await start(`      url: "${up.url}"
      tls: { verifyServer: false, clientCertPath: "${pki.clientSpiffe.cert}", clientKeyPath: "${pki.clientSpiffe.key}", expectedFingerprint: ["${'00'.repeat(32)}", "${right}"] }`);
    assert.equal((await whoami(gw)).clientCertCn, 'alpha');
    // Every new connection is checked: a second client after the first closed still passes.
    assert.equal((await whoami(gw)).clientCertCn, 'alpha');
  });
});

describe('upstream credentials: OAuth client credentials, no token passthrough', () => {
  let pki: TestPki;
  let up: HttpsUpstream;
  let tokens: TokenEndpoint;
  let gw: RunningGateway;
  const SECRET = 'client-secret-4c0ffee-never-logged';
  before(async () => {
    pki = makePki();
    up = await startHttpsUpstream(pki);
    tokens = await startTokenEndpoint(1, (t) => up.acceptTokens.add(t));
    process.env.PORTCULLIS_TEST_UPSTREAM_SECRET = SECRET;
    gw = await startGateway(gatewayYaml(`      url: "${up.url}"
      tls: { caPath: "${pki.ca.cert}" }
      oauth: { tokenUrl: "${tokens.url}", clientId: "portcullis", clientSecret: "\${PORTCULLIS_TEST_UPSTREAM_SECRET}", scope: "mcp", allowPrivateAddresses: true }`));
  });
  after(async () => {
    await gw?.stop();
    await up?.close();
    await tokens?.close();
  });

  test("the upstream sees the gateway's token, never the client's", async () => {
    const seen = await whoami(gw);
    assert.ok(tokens.issued.length >= 1);
    assert.match(seen.authorization ?? '', /^Bearer gw-token-/);
    assert.ok(tokens.issued.includes(seen.authorization!.slice('Bearer '.length)));
    assert.ok(up.seen.length > 0);
    for (const s of up.seen) assert.ok(!String(s.authorization).includes(CLIENT_KEY), 'client token forwarded upstream');
    assert.deepEqual(tokens.requests[0], { clientId: 'portcullis', secret: SECRET, form: { grant_type: 'client_credentials', resource: up.url, scope: 'mcp' } });
  });

  test('the token is refreshed after it expires, and after the upstream answers 401', async () => {
    const before = tokens.issued.length;
    await new Promise((r) => setTimeout(r, 1200));
    const afterExpiry = await whoami(gw);
    assert.ok(tokens.issued.length > before, 'a new token after expiry');
    assert.equal(afterExpiry.authorization, `Bearer ${tokens.issued.at(-1)}`);
    // Revoked at the upstream: the 401 makes the gateway fetch a new token and retry once.
    up.acceptTokens.clear();
    up.acceptTokens.add('only-this-one');
    const n = tokens.issued.length;
    const seen = await whoami(gw);
    assert.ok(tokens.issued.length > n, 'a new token after the 401');
    assert.equal(seen.authorization, `Bearer ${tokens.issued.at(-1)}`);
    assert.ok(up.seen.some((s) => s.authorization === undefined || s.authorization !== seen.authorization), 'the refused request was seen first');
  });

  test('neither the client secret nor any token appears in the audit or the logs', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const audit = readFileSync(gw.auditPath, 'utf8');
    const logs = gw.stderr();
    for (const secret of [SECRET, CLIENT_KEY, ...tokens.issued]) {
      assert.ok(!audit.includes(secret), `audit contains ${secret}`);
      assert.ok(!logs.includes(secret), `logs contain ${secret}`);
    }
  });
});

describe('a token endpoint behind an internal CA (oauth.caPath)', () => {
  let pki: TestPki;
  let up: HttpsUpstream;
  let tokens: TokenEndpoint;
  const gws: RunningGateway[] = [];
  before(async () => {
    pki = makePki();
    up = await startHttpsUpstream(pki);
    tokens = await startTokenEndpoint(300, (t) => up.acceptTokens.add(t), pki);
    process.env.PORTCULLIS_TEST_UPSTREAM_SECRET = 'internal-ca-secret';
  });
  after(async () => {
    for (const g of gws) await g.stop();
    await up?.close();
    await tokens?.close();
  });
  const start = async (caPath: string) => {
    const gw = await startGateway(gatewayYaml(`      url: "${up.url}"
      tls: { caPath: "${pki.ca.cert}" }
      oauth: { tokenUrl: "${tokens.url}", clientId: "portcullis", clientSecret: "\${PORTCULLIS_TEST_UPSTREAM_SECRET}", allowPrivateAddresses: true${caPath} }`));
    gws.push(gw);
    return gw;
  };

  test('with caPath the token is fetched over verified https and used upstream', async () => {
    const gw = await start(`, caPath: "${pki.ca.cert}"`);
    const seen = await whoami(gw);
    assert.equal(seen.authorization, `Bearer ${tokens.issued.at(-1)}`);
  });

  test('without it the endpoint is not trusted: no token is issued, the upstream is never called with one', async () => {
    const before = tokens.issued.length;
    const gw = await start('');
    await assert.rejects(whoami(gw));
    assert.equal(tokens.issued.length, before, 'the TLS handshake failed before any token request');
  });
});
