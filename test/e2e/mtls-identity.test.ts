/**
 * Identity from the client certificate, end to end: `portcullis run` with `requireAuth`, an mTLS
 * listener and `identity.mtls`. The SPIFFE ID (or, without one, the CN) becomes the principal; its
 * roles come from `identity.mtls.roles`; tool rules naming a role decide what each caller sees and
 * may call; audit records carry the subject and `authMethod: mtls`. `check` refuses identity.mtls
 * under requireAuth when the listener does not ask for client certificates.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { makePki, type Pair, type TestPki } from '../helpers/certs.ts';
import { clientCert, tlsSdkClient } from '../helpers/tls-client.ts';
import { BIN, EVERYTHING_STDIO, NODE, type RunningGateway, startGateway, substitute, tempDir, textOf } from '../helpers/gateway-process.ts';

const SPIFFE = 'spiffe://portcullis.test/agent/alpha';

const config = (pki: TestPki, clientCertificate: string) => `
mcp:
  listen:
    host: 127.0.0.1
    port: 0
    tls: { certPath: "${pki.server.cert}", keyPath: "${pki.server.key}", caPath: "${pki.ca.cert}", clientCertificate: ${clientCertificate} }
  identity:
    mtls:
      subjectFrom: auto
      roles: { "${SPIFFE}": [analyst] }
${EVERYTHING_STDIO}
  security:
    requireAuth: true
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - echo
        - { pattern: get-sum, roles: [analyst] }
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

const sdkClient = (url: string, pki: TestPki, who: Pair) => tlsSdkClient(url, clientCert(pki, who));

describe('identity from client certificates (mTLS listener, requireAuth)', () => {
  let pki: TestPki;
  let gw: RunningGateway;
  before(async () => {
    pki = makePki();
    gw = await startGateway(config(pki, 'required'));
  });
  after(async () => { await gw?.stop(); });

  test('the SPIFFE ID is the principal, with its configured role: analyst tools are listed and callable', async () => {
    const { client, close } = await sdkClient(gw.url, pki, pki.clientSpiffe);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ['echo', 'get-sum']);
      const r = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      assert.match(textOf(r), /5/);
    } finally {
      await close();
    }
    const rec = await waitForAudit(gw, (r) => r.event === 'tool_invoked' && r.tool === 'get-sum');
    assert.equal(rec.principal, SPIFFE);
    assert.equal(rec.authMethod, 'mtls');
    assert.equal(rec.decision, 'allow');
  });

  test('a CN-only certificate is identified by its CN and has no role: the analyst tool does not exist for it', async () => {
    const { client, close } = await sdkClient(gw.url, pki, pki.clientCn);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.deepEqual(names, ['echo']);
      const r = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
      assert.match(textOf(r), /hi/);
      await assert.rejects(client.callTool({ name: 'get-sum', arguments: { a: 1, b: 1 } }), /Unknown tool/);
    } finally {
      await close();
    }
    const denied = await waitForAudit(gw, (r) => r.event === 'tool_denied' && r.tool === 'get-sum');
    assert.equal(denied.principal, 'bob');
    assert.equal(denied.authMethod, 'mtls');
  });
});

test('check refuses requireAuth with identity.mtls when the listener does not ask for client certificates', () => {
  const pki = makePki();
  const dir = tempDir();
  const path = join(dir, 'portcullis.yaml');
  writeFileSync(path, substitute(config(pki, 'none'), { AUDIT: join(dir, 'audit.log') }));
  const r = spawnSync(NODE, [BIN, 'check', '--config', path], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /mcp\.security\.requireAuth.*no HTTP authenticator/s);
  assert.match(r.stdout + r.stderr, /clientCertificate: required/);
});
