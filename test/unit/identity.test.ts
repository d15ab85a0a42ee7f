/**
 * Identity pieces on their own: claim mapping (paths, scope strings, prototype keys, bounds), API key
 * hashing and verification, tool rules that name callers, and the identity in a real client
 * certificate made by `openssl` and presented over a real TLS connection.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { describe, test } from 'node:test';
import { identitySchema } from '../../src/config/identity-schema.ts';
import { ApiKeyVerifier, generateApiKey, hashApiKey } from '../../src/identity/api-keys.ts';
import { certificatePrincipal, spiffeIds, subjectOfCertificate } from '../../src/identity/cert-identity.ts';
import { claimAt, parseClaimPath, principalFromClaims } from '../../src/identity/claim-mapping.ts';
import { metadataUrls } from '../../src/identity/jwt-verifier.ts';
import { Gateway } from '../../src/gateway/gateway.ts';
import { compileCel } from '../../src/policy/cel-condition.ts';
import { ToolPolicy } from '../../src/policy/tool-policy.ts';
import { tempDir } from '../helpers/gateway-process.ts';

/** A tool of a gateway with one server (names are not namespaced). */
const one = (name: string) => ({ kind: 'tool' as const, server: 's', name, servers: ['s'] });

const claimsCfg = identitySchema.parse({ jwt: { issuer: 'https://idp.example' } }).jwt!.claims;

describe('claim mapping', () => {
  test('paths: dots, and brackets for names that contain dots', () => {
    assert.deepEqual(parseClaimPath('realm_access.roles'), ['realm_access', 'roles']);
    assert.deepEqual(parseClaimPath('["https://example.com/roles"]'), ['https://example.com/roles']);
    assert.deepEqual(parseClaimPath('resource_access["my.client"].roles'), ['resource_access', 'my.client', 'roles']);
    assert.equal(parseClaimPath('a..b'), undefined);
    assert.equal(parseClaimPath('a.'), undefined);
    assert.equal(parseClaimPath('["unterminated'), undefined);
    assert.throws(() => identitySchema.parse({ jwt: { issuer: 'https://idp.example', claims: { roles: ['a..b'] } } }), /claim path 'a\.\.b'/);
  });

  test('roles, groups and scopes from the configured claims; iat becomes issuedAt', () => {
    const cfg = { ...claimsCfg, roles: ['roles', 'realm_access.roles', '["https://example.com/roles"]'] };
    const p = principalFromClaims(
      { sub: 'alice', iss: 'https://idp.example', iat: 1700000000, roles: 'analyst', realm_access: { roles: ['ops', 'analyst', 7] }, 'https://example.com/roles': ['auditor'], groups: ['eng'], scope: 'mcp:tools  mcp:read', scp: ['extra'] },
      cfg,
    )!;
    assert.equal(p.subject, 'alice');
    assert.equal(p.method, 'jwt');
    assert.deepEqual(p.roles, ['analyst', 'ops', 'auditor']);
    assert.deepEqual(p.groups, ['eng']);
    assert.deepEqual(p.scopes, ['mcp:tools', 'mcp:read', 'extra']);
    assert.equal(p.issuedAt, 1700000000);
    assert.equal(p.credential, 'https://idp.example');
  });

  test('only own properties; a missing or non-string subject gives no principal; values are bounded', () => {
    const claims = JSON.parse('{"sub":"x","__proto__":{"roles":["admin"]},"roles":null}') as Record<string, unknown>;
    assert.equal(claimAt({ sub: 'x' }, 'constructor'), undefined);
    assert.deepEqual(principalFromClaims(claims, claimsCfg)!.roles, []);
    assert.equal(principalFromClaims({ sub: 42 }, claimsCfg), undefined);
    assert.equal(principalFromClaims({}, claimsCfg), undefined);
    const many = principalFromClaims({ sub: 'x', roles: Array.from({ length: 1000 }, (_, i) => `r${i}`) }, claimsCfg)!;
    assert.equal(many.roles.length, 256);
  });

  test('RFC 8414 metadata is path-inserted; OIDC discovery is appended', () => {
    assert.deepEqual(metadataUrls('https://idp.example/realms/acme'), ['https://idp.example/.well-known/oauth-authorization-server/realms/acme', 'https://idp.example/realms/acme/.well-known/openid-configuration']);
    assert.deepEqual(metadataUrls('https://idp.example'), ['https://idp.example/.well-known/oauth-authorization-server', 'https://idp.example/.well-known/openid-configuration']);
  });
});

describe('API keys', () => {
  test('a generated key verifies against its hash only; other strings do not', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    assert.match(a.key, /^pcl_[A-Za-z0-9_-]{43}$/);
    assert.equal(a.hash, hashApiKey(a.key));
    const v = new ApiKeyVerifier([{ id: 'a', hash: a.hash, subject: 'bot', roles: ['analyst'], groups: [], scopes: ['mcp:tools'] }]);
    assert.deepEqual(v.verify(a.key), { subject: 'bot', method: 'api-key', roles: ['analyst'], groups: [], scopes: ['mcp:tools'], credential: 'a' });
    assert.equal(v.verify(b.key), undefined);
    assert.equal(v.verify(a.key.slice(0, -1)), undefined);
    assert.equal(v.verify(a.hash), undefined);
  });

  test("createdAt becomes the key's issue time for revocation; one in the future is not believed", () => {
    const k = generateApiKey();
    const entry = (createdAt: string) => new ApiKeyVerifier([{ id: 'a', hash: k.hash, subject: 'bot', roles: [], groups: [], scopes: [], createdAt }]);
    assert.equal(entry('2025-03-01T12:00:00.000Z').verify(k.key)?.issuedAt, Date.parse('2025-03-01T12:00:00Z') / 1000);
    assert.equal(entry(new Date(Date.now() + 3_600_000).toISOString()).verify(k.key)?.issuedAt, undefined);
    assert.throws(() => identitySchema.parse({ apiKeys: [{ id: 'a', hash: k.hash, subject: 's', createdAt: 'yesterday' }] }));
  });

  test('duplicate ids or hashes are configuration errors', () => {
    const { hash } = generateApiKey();
    assert.throws(() => identitySchema.parse({ apiKeys: [{ id: 'a', hash, subject: 's' }, { id: 'b', hash, subject: 't' }] }), /duplicate API key hash/);
  });
});

describe('tool rules that name callers', () => {
  const policy = new ToolPolicy({
    defaultPolicy: 'allow',
    deniedTools: [],
    allowedTools: [
      { pattern: 'database.query', roles: ['analyst'] },
      { pattern: 'database.query', subjects: ['dba'] },
      { pattern: 'admin.*', groups: ['ops'], scopes: ['admin'] },
      { pattern: 'report.*', requiredScopes: ['reports:read'] },
    ],
  });
  const caller = (o: Partial<{ subject: string; roles: string[]; groups: string[]; scopes: string[] }>) => ({ subject: 'u', roles: [], ...o });

  test('a rule applies to the callers it names (any of a list; every list given)', () => {
    assert.equal(policy.decide(one('database.query'), caller({ roles: ['analyst'] })).rule, 'allowedTools[0]: database.query');
    assert.equal(policy.decide(one('database.query'), caller({ subject: 'dba' })).rule, 'allowedTools[1]: database.query');
    assert.equal(policy.decide(one('admin.reset'), caller({ groups: ['ops'], scopes: ['admin'] })).allowed, true);
    assert.equal(policy.decide(one('admin.reset'), caller({ groups: ['ops'] })).allowed, false);
  });

  test('named by rules none of which is for the caller: denied even under defaultPolicy allow', () => {
    const d = policy.decide(one('database.query'), caller({ roles: ['viewer'] }));
    assert.deepEqual(d, { allowed: false, rule: 'allowedTools: no rule for this tool applies to the caller' });
    assert.equal(policy.decide(one('database.query')).allowed, false, 'no caller at all');
    assert.equal(policy.decide(one('other.tool'), caller({})).allowed, true, 'defaultPolicy still governs unnamed tools');
  });

  test('requiredScopes: allowed (listed), with the missing scopes for a step-up', () => {
    assert.deepEqual(policy.decide(one('report.daily'), caller({ scopes: ['mcp:tools'] })).missingScopes, ['reports:read']);
    assert.equal(policy.decide(one('report.daily'), caller({ scopes: ['reports:read'] })).missingScopes, undefined);
  });
});

test('CEL conditions see the principal\'s groups and scopes', () => {
  const cel = compileCel('"ops" in principal.groups && "db:write" in principal.scopes && principal.method == "jwt"');
  const base = { server: 's', tool: 't', args: {}, timeMs: 0, session: { id: 'x', labels: [] } };
  assert.deepEqual(cel.evaluate({ ...base, principal: { subject: 'a', method: 'jwt', roles: [], groups: ['ops'], scopes: ['db:write'] } }), { value: true });
  assert.deepEqual(cel.evaluate({ ...base, principal: { subject: 'a', method: 'jwt', roles: [] } }), { value: false });
});

test('stdio: the configured subject and roles, else the local user', () => {
  assert.deepEqual(Gateway.stdioPrincipal('desk-agent', ['analyst']), { subject: 'desk-agent', method: 'local-user', roles: ['analyst'] });
  assert.equal(Gateway.stdioPrincipal().method, 'local-user');
  assert.ok(Gateway.stdioPrincipal().subject.length > 0);
});

function openssl(cwd: string, ...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA, a server certificate and client certificates signed by it (and one by a stranger CA). */
function makePki(): Record<string, Buffer> {
  const dir = tempDir('portcullis-pki-');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  for (const ca of ['ca', 'stranger']) openssl(dir, 'req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-subj', `/CN=${ca}`, '-days', '1');
  const leaf = (name: string, cn: string, ext: string, ca = 'ca') => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(dir, 'req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
  };
  leaf('server', 'localhost', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('spiffe', 'agent-cn', 'subjectAltName=DNS:agent.local,URI:spiffe://example.org/ns/prod/sa/agent\nextendedKeyUsage=clientAuth\n');
  leaf('plain', 'build-bot', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue', 'intruder', 'subjectAltName=URI:spiffe://example.org/ns/prod/sa/agent\nextendedKeyUsage=clientAuth\n', 'stranger');
  const out: Record<string, Buffer> = {};
  for (const n of ['ca', 'server', 'spiffe', 'plain', 'rogue']) {
    out[`${n}.crt`] = readFileSync(join(dir, `${n}.crt`));
    if (n !== 'ca') out[`${n}.key`] = readFileSync(join(dir, `${n}.key`));
  }
  return out;
}

describe('client certificate identity (real certificates, real TLS)', () => {
  const pki = makePki();
  const cfg = { subjectFrom: 'auto' as const, roles: { 'spiffe://example.org/ns/prod/sa/agent': ['analyst'] } };

  /** Connect with a client certificate; the server side maps its socket to a principal. */
  async function present(client: string, subjectFrom: 'auto' | 'spiffe' | 'cn' = 'auto') {
    // rejectUnauthorized: false so an unverified certificate still reaches the mapping (which must refuse it).
    const server = createServer({ key: pki['server.key'], cert: pki['server.crt'], ca: pki['ca.crt'], requestCert: true, rejectUnauthorized: false });
    const seen = new Promise<ReturnType<typeof certificatePrincipal>>((resolve) => server.once('secureConnection', (s: TLSSocket) => resolve(certificatePrincipal(s, { ...cfg, subjectFrom }))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const sock = connect({ host: '127.0.0.1', port, key: pki[`${client}.key`], cert: pki[`${client}.crt`], ca: pki['ca.crt'] });
    sock.on('error', () => {});
    const p = await seen;
    sock.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    return p;
  }

  test('a verified certificate with a SPIFFE URI SAN is that SPIFFE ID, with its configured roles', async () => {
    const p = await present('spiffe');
    assert.equal(p?.subject, 'spiffe://example.org/ns/prod/sa/agent');
    assert.equal(p?.method, 'mtls');
    assert.deepEqual(p?.roles, ['analyst']);
    assert.match(String(p?.credential), /^[0-9A-F:]+$/);
    assert.equal((await present('spiffe', 'cn'))?.subject, 'agent-cn');
  });

  test('without a SPIFFE ID the subject CN is used (auto), or nothing (spiffe)', async () => {
    assert.equal((await present('plain'))?.subject, 'build-bot');
    assert.equal(await present('plain', 'spiffe'), undefined);
  });

  test('a certificate the CA did not sign yields no identity, whatever it claims', async () => {
    assert.equal(await present('rogue'), undefined);
  });

  test('several SPIFFE IDs are ambiguous: no subject', () => {
    const cert = { subject: { CN: 'x' }, subjectaltname: 'URI:spiffe://a.org/one, URI:spiffe://a.org/two' } as never;
    assert.deepEqual(spiffeIds(cert), ['spiffe://a.org/one', 'spiffe://a.org/two']);
    assert.equal(subjectOfCertificate(cert, 'auto'), undefined);
  });
});

test('the issuer and JWKS must be https (plain http on loopback only)', () => {
  assert.throws(() => identitySchema.parse({ jwt: { issuer: 'http://idp.example' } }), /must be an https/);
  assert.throws(() => identitySchema.parse({ jwt: { issuer: 'https://idp.example', jwksUri: 'http://10.0.0.5/jwks' } }), /must be an https/);
  assert.doesNotThrow(() => identitySchema.parse({ jwt: { issuer: 'http://127.0.0.1:9400', jwksUri: 'http://localhost:9400/jwks' } }));
});

test('a deny rule that names callers denies only them; deny still wins over allow', () => {
  const policy = new ToolPolicy({ defaultPolicy: 'deny', deniedTools: [{ pattern: 'shell.*', roles: ['contractor'] }], allowedTools: ['shell.*'] });
  assert.deepEqual(policy.decide(one('shell.run'), { subject: 'c', roles: ['contractor', 'analyst'] }), { allowed: false, rule: 'deniedTools[0]: shell.*' });
  assert.equal(policy.decide(one('shell.run'), { subject: 'e', roles: ['employee'] }).allowed, true);
  assert.throws(() => identitySchema.parse({ stdioRoles: [''] }));
});
