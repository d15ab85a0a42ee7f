/**
 * `portcullis run` over HTTPS: mutual TLS with real certificates (openssl CLI), the v1 SDK client
 * through an undici Agent carrying the client certificate; refusal without or with an untrusted
 * certificate (the handshake fails); certificate reload without restart; the post-quantum hybrid
 * group negotiated and audited; a classical-only client refused when `requirePostQuantum` is set.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { makePki, type TestPki } from '../helpers/certs.ts';
import { clientCert, tlsSdkClient as sdkClient } from '../helpers/tls-client.ts';
import { EVERYTHING_STDIO, type RunningGateway, startGateway, textOf } from '../helpers/gateway-process.ts';

const config = (pki: TestPki, tls: string) => `
mcp:
  listen:
    host: 127.0.0.1
    port: 0
    tls: { certPath: "${join(pki.dir, 'live.crt')}", keyPath: "${join(pki.dir, 'live.key')}", caPath: "${pki.ca.cert}", ${tls} }
${EVERYTHING_STDIO}
  security:
    toolAccess: { defaultPolicy: deny, allowedTools: [echo] }
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

/** A raw TLS handshake: resolves with the negotiated group and server certificate, or the error. */
function handshake(url: string, opts: ConnectionOptions): Promise<{ group?: string; fingerprint?: string; error?: string }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = tlsConnect({ host: u.hostname, port: Number(u.port), servername: 'localhost', ...opts }, () => {
      const info = s.getEphemeralKeyInfo() as { name?: string };
      const fp = s.getPeerCertificate().fingerprint256;
      // With TLS 1.3 a refused client certificate is reported after the handshake: wait for it.
      s.once('error', (e) => resolve({ error: e.message }));
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      s.once('data', () => { resolve({ group: info?.name, fingerprint: fp }); s.destroy(); });
    });
    s.once('error', (e) => resolve({ error: e.message }));
    // A peer that closes without an alert we can read is a refusal too.
    s.once('close', () => resolve({ error: 'connection closed during or right after the handshake' }));
    s.setTimeout(10_000, () => { resolve({ error: 'timeout' }); s.destroy(); });
  });
}

/** Fresh certificates, the server pair copied to live.crt/live.key (the files the gateway watches). */
async function startTlsGateway(tls: string): Promise<{ pki: TestPki; gw: RunningGateway }> {
  const pki = makePki();
  copyFileSync(pki.server.cert, join(pki.dir, 'live.crt'));
  copyFileSync(pki.server.key, join(pki.dir, 'live.key'));
  return { pki, gw: await startGateway(config(pki, tls)) };
}

describe('HTTPS listener with mTLS required', () => {
  let pki: TestPki;
  let gw: RunningGateway;
  before(async () => ({ pki, gw } = await startTlsGateway('clientCertificate: required')));
  after(async () => { await gw?.stop(); });

  test('a client with a valid certificate calls a tool through the gateway', async () => {
    assert.match(gw.url, /^https:\/\//);
    for (const who of [pki.clientSpiffe, pki.clientCn]) {
      const { client, close } = await sdkClient(gw.url, clientCert(pki, who));
      const r = await client.callTool({ name: 'echo', arguments: { message: 'over mTLS' } });
      assert.match(textOf(r), /over mTLS/);
      await close();
    }
  });

  test('the hybrid post-quantum group is negotiated, seen by the client and in the audit', async () => {
    const hs = await handshake(gw.url, clientCert(pki, pki.clientCn));
    assert.equal(hs.group, 'X25519MLKEM768');
    const rec = await waitForAudit(gw, (r) => r.event === 'connection_established' && (r.detail as { tls?: unknown })?.tls !== undefined);
    const tls = (rec.detail as { tls: { group: string; postQuantum: boolean; protocol: string; peerVerified: boolean; peerFingerprint?: string } }).tls;
    assert.equal(tls.group, 'X25519MLKEM768');
    assert.equal(tls.postQuantum, true);
    assert.equal(tls.protocol, 'TLSv1.3');
    assert.equal(tls.peerVerified, true);
    assert.ok([pki.clientSpiffe.fingerprint, pki.clientCn.fingerprint].includes(tls.peerFingerprint!));
  });

  test('no client certificate: the handshake fails', async () => {
    const hs = await handshake(gw.url, { ca: readFileSync(pki.ca.cert) });
    assert.ok(hs.error, 'refused');
    assert.match(hs.error!, /certificate required|alert|handshake/i);
    await assert.rejects(sdkClient(gw.url, { ca: readFileSync(pki.ca.cert) }));
  });

  test('a client certificate from an untrusted CA: the handshake fails', async () => {
    const hs = await handshake(gw.url, clientCert(pki, pki.clientUntrusted));
    assert.ok(hs.error, 'refused');
    assert.match(hs.error!, /unknown ca|alert|certificate|closed/i);
    // The gateway saw a failed handshake, not a request.
    for (const t0 = Date.now(); Date.now() - t0 < 5000 && !/TLS handshake refused/.test(gw.stderr()); ) await new Promise((r) => setTimeout(r, 50));
    assert.match(gw.stderr(), /TLS handshake refused from .*(unknown ca|certificate|verify)/i);
  });

  test('a classical-only client (X25519) is accepted when post-quantum is not required', async () => {
    const hs = await handshake(gw.url, { ...clientCert(pki, pki.clientCn), ecdhCurve: 'X25519' });
    assert.equal(hs.error, undefined);
    assert.equal(hs.group, 'X25519');
  });

  test('certificate reload: new connections see the new certificate without a restart; a broken one is not installed', async () => {
    const before = await handshake(gw.url, clientCert(pki, pki.clientCn));
    assert.equal(before.fingerprint, pki.server.fingerprint);
    const renewed = pki.issue('server-renewed', { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', usage: 'serverAuth' });
    copyFileSync(renewed.key, join(pki.dir, 'live.key'));
    copyFileSync(renewed.cert, join(pki.dir, 'live.crt'));
    let seen: string | undefined;
    for (const t0 = Date.now(); Date.now() - t0 < 10_000; ) {
      seen = (await handshake(gw.url, clientCert(pki, pki.clientCn))).fingerprint;
      if (seen === renewed.fingerprint) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(seen, renewed.fingerprint);
    // A key that does not match the certificate: the renewed one stays in use, an error is logged.
    copyFileSync(pki.clientCn.key, join(pki.dir, 'live.key'));
    for (const t0 = Date.now(); Date.now() - t0 < 10_000 && !/NOT reloaded/.test(gw.stderr()); ) await new Promise((r) => setTimeout(r, 100));
    assert.match(gw.stderr(), /NOT reloaded/);
    assert.equal((await handshake(gw.url, clientCert(pki, pki.clientCn))).fingerprint, renewed.fingerprint);
    copyFileSync(renewed.key, join(pki.dir, 'live.key'));
  });
});

describe('HTTPS listener with requirePostQuantum', () => {
  let pki: TestPki;
  let gw: RunningGateway;
  before(async () => ({ pki, gw } = await startTlsGateway('clientCertificate: none, requirePostQuantum: true')));
  after(async () => { await gw?.stop(); });

  test('a classical-only client (X25519) fails the handshake; a hybrid-capable client gets X25519MLKEM768', async () => {
    const classical = await handshake(gw.url, { ca: readFileSync(pki.ca.cert), ecdhCurve: 'X25519' });
    assert.ok(classical.error, 'refused');
    assert.match(classical.error!, /handshake failure|no suitable|alert/i);
    const hybrid = await handshake(gw.url, { ca: readFileSync(pki.ca.cert) });
    assert.equal(hybrid.group, 'X25519MLKEM768');
    const { client, close } = await sdkClient(gw.url, { ca: readFileSync(pki.ca.cert) });
    assert.match(textOf(await client.callTool({ name: 'echo', arguments: { message: 'pq only' } })), /pq only/);
    await close();
    const rec = await waitForAudit(gw, (r) => r.event === 'connection_established');
    assert.equal((rec.detail as { tls: { group: string } }).tls.group, 'X25519MLKEM768');
  });
});
