/**
 * URL arguments and the SSRF guard: numeric IPv4 forms, IPv6 forms that carry IPv4, names that
 * resolve to loopback (through the system resolver and through a resolver table), metadata
 * endpoints, parser-differential tricks, and scheme/host/port allowlists.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { nonPublicRange } from '../../src/policy/ip-ranges.ts';
import { compileUrlConstraint, dnsResolver, type Resolver } from '../../src/policy/url-constraint.ts';

const table: Record<string, string[]> = {
  'public.example': ['93.184.215.14'],
  'rebind.example': ['93.184.215.14', '127.0.0.1'],
  'internal.example': ['10.1.2.3'],
  'v6loop.example': ['::1'],
  'mapped.example': ['::ffff:169.254.169.254'],
};
const resolve: Resolver = async (h) => {
  if (table[h]) return table[h];
  throw new Error(`ENOTFOUND ${h}`);
};
const guard = compileUrlConstraint({}, { mode: 'guard' });
const v = async (check: ReturnType<typeof compileUrlConstraint>, url: unknown, r: Resolver = resolve) => {
  const out = await check(url, r);
  return out.ok ? 'allow' : out.rule;
};

test('address ranges: loopback, private, link-local, metadata, and IPv4 inside IPv6', () => {
  const bad = [
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.100.100.200',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1', 'ff02::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::127.0.0.1', '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '2002:7f00:1::', '2002:c0a8:101::1',
    '2001:0:7f00:1::', '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo: server 127.0.0.1; client (obfuscated) 127.0.0.1
    'fe80::1%eth0',
  ];
  for (const a of bad) assert.ok(nonPublicRange(a), a);
  for (const a of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) assert.equal(nonPublicRange(a), undefined, a);
});

test('decimal, hex, octal, short and fullwidth IPv4 forms are canonicalized, then refused', async () => {
  for (const u of [
    'http://2130706433/', 'http://0x7f000001/', 'http://0x7f.1/', 'http://017700000001/', 'http://0177.0.0.1/', 'http://127.1/',
    'http://127.0.0.1:8080/admin', 'http://\uff11\uff12\uff17.0.0.1/', 'http://0/', 'http://3232235777/', 'http://0xa9fea9fe/latest/meta-data/',
    'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://[0:0:0:0:0:ffff:7f00:1]/', 'http://[::ffff:169.254.169.254]/', 'http://[64:ff9b::a9fe:a9fe]/',
  ]) {
    assert.equal(await v(guard, u), 'privateAddresses', u);
  }
  assert.equal(await v(guard, 'http://93.184.215.14/'), 'allow');
});

test('names are judged by what they resolve to: every address must be public', async () => {
  assert.equal(await v(guard, 'https://public.example/x'), 'allow');
  assert.equal(await v(guard, 'https://internal.example/x'), 'privateAddresses');
  assert.equal(await v(guard, 'https://rebind.example/x'), 'privateAddresses', 'one private answer among public ones');
  assert.equal(await v(guard, 'https://v6loop.example/'), 'privateAddresses');
  assert.equal(await v(guard, 'https://mapped.example/'), 'privateAddresses');
  assert.equal(await v(guard, 'https://does-not-resolve.example/'), 'privateAddresses', 'fail closed');
  for (const u of ['http://localhost/', 'http://LOCALHOST./', 'http://app.localhost/', 'http://metadata.google.internal/computeMetadata/v1/', 'http://metadata/']) {
    assert.equal(await v(guard, u), 'privateAddresses', u);
  }
});

test("the system resolver: this machine's own host name resolves to a non-public address or not at all", async () => {
  const out = await guard(`http://${hostname()}/`, dnsResolver(2000));
  assert.equal(out.ok, false);
  assert.equal(!out.ok && out.rule, 'privateAddresses');
});

test('a lookup that takes too long refuses the call', async () => {
  const slowLookup = () => new Promise<{ address: string }[]>((r) => setTimeout(() => r([{ address: '93.184.215.14' }]), 5_000).unref());
  // Had the gateway waited for the lookup, it would have found a public address and allowed the call.
  assert.equal(await v(guard, 'https://slow.example/', dnsResolver(50, slowLookup)), 'privateAddresses');
});

test('parser differentials are refused: backslash, whitespace, userinfo', async () => {
  for (const u of ['http://evil.example\\@127.0.0.1/', 'http://public.example\\@internal.example/', 'http://user:pass@public.example/', 'http://public.example@127.0.0.1/', 'http://pub lic.example/', 'http://public.example/\tx', ' http://127.0.0.1/', 'http://[::1/']) {
    assert.equal(await v(guard, u), 'url', u);
  }
});

test('the guard leaves non-URLs alone; a rule demands a URL', async () => {
  for (const x of ['just an id', 'relative/path', 'data:text/plain,hello', 'mailto:a@b.c', 42]) assert.equal(await v(guard, x), 'allow', String(x));
  const rule = compileUrlConstraint({ allowedSchemes: ['https'] }, { mode: 'rule' });
  assert.equal(await v(rule, 'just an id'), 'url');
  assert.equal(await v(rule, 42), 'url');
});

test('scheme, host and port allowlists', async () => {
  const r = compileUrlConstraint({ allowedSchemes: ['https'], allowedHosts: ['public.example', '*.docs.example'], allowedPorts: [443, 8443] }, { mode: 'rule' });
  table['api.docs.example'] = ['93.184.215.15'];
  assert.equal(await v(r, 'https://public.example/a'), 'allow');
  assert.equal(await v(r, 'https://PUBLIC.EXAMPLE./a'), 'allow', 'case and trailing dot');
  assert.equal(await v(r, 'https://api.docs.example:8443/a'), 'allow');
  assert.equal(await v(r, 'http://public.example/a'), 'allowedSchemes');
  assert.equal(await v(r, 'file:///etc/passwd'), 'allowedSchemes');
  assert.equal(await v(r, 'gopher://public.example/'), 'allowedSchemes');
  assert.equal(await v(r, 'https://public.example.evil.example/'), 'allowedHosts');
  assert.equal(await v(r, 'https://docs.example/'), 'allowedHosts');
  assert.equal(await v(r, 'https://public.example:22/'), 'allowedPorts');
  const allowlistedButPrivate = compileUrlConstraint({ allowedHosts: ['internal.example'] }, { mode: 'rule' });
  assert.equal(await v(allowlistedButPrivate, 'https://internal.example/'), 'privateAddresses', 'an allowed host still may not be private');
  const privateOk = compileUrlConstraint({ allowedHosts: ['internal.example'], allowPrivateAddresses: true }, { mode: 'rule' });
  assert.equal(await v(privateOk, 'https://internal.example/'), 'allow');
});
