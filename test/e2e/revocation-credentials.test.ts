/**
 * Revocation of every credential kind, end to end: `portcullis run` in front of the real
 * server-everything, callers with API keys from `portcullis keys api-key` and with client
 * certificates (mTLS listener, certificates from openssl), v1 SDK clients, `portcullis revoke`
 * through the admin listener. A key is revoked by id, a certificate by fingerprint, and `--all`
 * refuses every credential that existed before it — a key with or without `createdAt`, a
 * certificate issued before it — until it is re-issued or reinstated; all of it audited and
 * still in force after a restart. (Before, `--all` only refused JWTs: API-key and mTLS callers
 * reconnected at once.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apiKeyClient, issueApiKey, type IssuedKey } from '../helpers/api-keys.ts';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { makePki, type Pair, type TestPki } from '../helpers/certs.ts';
import { EVERYTHING_STDIO, BIN, NODE, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';
import { clientCert, tlsSdkClient } from '../helpers/tls-client.ts';

const TOKEN = 'revocation-e2e-admin-token-51c2';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;

const config = (identity: string, listen = '{host: 127.0.0.1, port: 0}') => `
mcp:
  listen: ${listen}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
  identity:
${identity}
${EVERYTHING_STDIO}
  security:
    requireAuth: true
    toolAccess: {defaultPolicy: allow}
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

/** A gateway that keeps its directory (config, audit log, incident state) across restarts, and the CLI pointed at it. */
function operated(): { gw: () => RunningGateway; start: (yaml: string) => Promise<void>; stop: () => Promise<void>; revoke: (...args: string[]) => string } {
  const dir = tempDir();
  const tokenFile = join(dir, 'admin.token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  let gw: RunningGateway | undefined;
  let admin = '';
  return {
    gw: () => gw!,
    start: async (yaml) => {
      await gw?.stop();
      gw = await startGateway(yaml, [], { dir });
      admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
    },
    stop: async () => {
      await gw?.stop();
    },
    revoke: (...args) => {
      const r = spawnSync(NODE, [BIN, 'revoke', ...args, '--url', admin, '--token-file', tokenFile], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r.stdout;
    },
  };
}

const echo = (c: { callTool: (p: { name: string; arguments: Record<string, unknown> }) => Promise<unknown> }, message: string) => c.callTool({ name: 'echo', arguments: { message } });
const REFUSED = /UNAUTHENTICATED|-32011/;
const nextSecond = () => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));

describe('revoking API keys', () => {
  const op = operated();
  const alice = issueApiKey('alice-key', 'alice');
  const bob = issueApiKey('bob-key', 'bob');
  // An entry written before keys carried createdAt: its age is unknown.
  const legacyIssued = issueApiKey('legacy-key', 'legacy');
  const legacy: IssuedKey = { ...legacyIssued, yaml: legacyIssued.yaml.replace(/\n\s+createdAt: .*/, '') };
  const keysYaml = (keys: IssuedKey[]) => `    apiKeys:\n${keys.map((k) => k.yaml).join('\n')}`;
  const works = async (k: IssuedKey) => {
    const c = await apiKeyClient(op.gw().url, k.key);
    try {
      assert.match(textOf(await echo(c, k.id)), new RegExp(k.id));
    } finally {
      await c.close();
    }
  };
  const refused = (k: IssuedKey) => assert.rejects(apiKeyClient(op.gw().url, k.key), REFUSED, `${k.id} must be refused`);

  before(() => op.start(config(keysYaml([alice, bob, legacy]))));
  after(() => op.stop());

  test('--api-key ID: that key is refused at once, its session ended, and after a restart; the others work; --reinstate lets it back', async () => {
    assert.match(legacy.yaml, /id: legacy-key/);
    assert.doesNotMatch(legacy.yaml, /createdAt/);
    assert.match(alice.yaml, /createdAt: \d{4}-/, '`keys api-key` records when the key was made');
    const open = await apiKeyClient(op.gw().url, alice.key);
    await echo(open, 'before');
    assert.match(op.revoke('--api-key', 'alice-key', '--reason', 'leaked in a CI log'), /revoked API key alice-key via http.*1 session\(s\) ended/);
    await assert.rejects(echo(open, 'after'), 'its open session ended');
    await open.close().catch(() => {});
    await refused(alice);
    // On the wire: 401 with the RFC 6750 challenge, like any other bad credential.
    const raw = await fetch(op.gw().url, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    assert.equal(raw.status, 401);
    assert.match(raw.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    await works(bob);
    const rec = await waitForAudit(op.gw(), (r) => r.event === 'tokens_revoked');
    assert.deepEqual((rec.detail as { revokedIds: string[] }).revokedIds, ['api-key:alice-key']);
    assert.equal(rec.reason, 'leaked in a CI log');
    const denial = await waitForAudit(op.gw(), (r) => r.principal === 'alice' && r.rule === 'revocation');
    assert.equal(denial.authMethod, 'api-key');
    assert.equal(denial.code, 'UNAUTHENTICATED');
    assert.match(String(denial.reason), /API key 'alice-key'/);

    await op.start(config(keysYaml([alice, bob, legacy])));
    await refused(alice);
    assert.match(op.revoke('--reinstate', '--api-key', 'alice-key'), /reinstated API key alice-key/);
    await works(alice);
    await waitForAudit(op.gw(), (r) => r.event === 'credentials_reinstated');
  });

  test('--all: every key that existed is refused — with or without createdAt — until re-issued; across a restart', async () => {
    await works(bob);
    await works(legacy);
    op.revoke('--all', '--reason', 'P1');
    for (const k of [alice, bob, legacy]) await refused(k);
    // A key made after the revocation, added to the configuration: it works, the old ones do not.
    await nextSecond();
    const carol = issueApiKey('carol-key', 'carol');
    await op.start(config(keysYaml([alice, bob, legacy, carol])));
    await works(carol);
    for (const k of [alice, bob, legacy]) await refused(k);
    const denial = await waitForAudit(op.gw(), (r) => r.principal === 'legacy' && r.rule === 'revocation');
    assert.match(String(denial.reason), /unknown issue time/);
  });
});

describe('revoking client certificates (mTLS)', () => {
  const op = operated();
  let pki: TestPki;
  const SPIFFE = 'spiffe://portcullis.test/agent/alpha';
  const yaml = () =>
    config(
      `    mtls: {subjectFrom: auto}`,
      `{host: 127.0.0.1, port: 0, tls: {certPath: "${pki.server.cert}", keyPath: "${pki.server.key}", caPath: "${pki.ca.cert}", clientCertificate: required}}`,
    );
  const works = async (who: Pair) => {
    const { client, close } = await tlsSdkClient(op.gw().url, clientCert(pki, who));
    try {
      assert.match(textOf(await echo(client, 'tls')), /tls/);
    } finally {
      await close();
    }
  };
  const refused = (who: Pair) => assert.rejects(tlsSdkClient(op.gw().url, clientCert(pki, who)), REFUSED);

  before(async () => {
    pki = makePki();
    await op.start(yaml());
  });
  after(() => op.stop());

  test('--certificate FP (as Node prints it, with colons): that certificate is refused; another subject works', async () => {
    await works(pki.clientSpiffe);
    assert.match(op.revoke('--certificate', pki.clientSpiffe.fingerprint), /revoked certificate [0-9a-f]{64}/);
    await refused(pki.clientSpiffe);
    await works(pki.clientCn);
    const denial = await waitForAudit(op.gw(), (r) => r.principal === SPIFFE && r.rule === 'revocation');
    assert.equal(denial.authMethod, 'mtls');
  });

  test('--all: every certificate issued before it is refused; one issued after it works, across a restart', async () => {
    op.revoke('--all');
    await refused(pki.clientCn);
    await nextSecond(); // notBefore has one-second resolution
    const renewed = pki.issue('client-cn-renewed', { cn: 'bob', usage: 'clientAuth' });
    await works(renewed);
    await op.start(yaml());
    await refused(pki.clientCn);
    await refused(pki.clientSpiffe);
    await works(renewed);
  });
});
