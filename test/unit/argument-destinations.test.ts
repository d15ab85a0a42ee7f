/**
 * Which argument values are destinations for the SSRF guard: URLs and hosts at any depth, under
 * any name, and what is left alone (ordinary text, ids, versions, file names). Then the whole
 * guard through decideArguments, with a resolver table instead of DNS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';
import { destinationsOf, MAX_DESTINATIONS, type DestinationOptions } from '../../src/policy/argument-destinations.ts';
import { decideArguments } from '../../src/policy/argument-decision.ts';
import { leavesOf, MAX_LEAF_DEPTH } from '../../src/policy/argument-leaves.ts';
import { MemoryQuotaStore } from '../../src/state/quota-store.ts';

const none: DestinationOptions = { urlArguments: [], covered: [] };
function found(args: Record<string, unknown>, opts: DestinationOptions = none): string[] {
  const walk = leavesOf(args);
  assert.ok(walk.ok);
  const d = destinationsOf(walk.leaves, opts);
  assert.ok(d.ok);
  return d.list.map((x) => `${x.argument} ${x.url}`);
}

test('nested URLs are found wherever they sit, with their place for the audit record', () => {
  assert.deepEqual(found({ request: { url: 'http://127.0.0.1:8080/a' } }), ['request.url http://127.0.0.1:8080/a']);
  assert.deepEqual(found({ requests: [{ url: 'http://a.example/' }, { target: 'http://169.254.169.254/latest' }] }), [
    'requests[0].url http://a.example/',
    'requests[1].target http://169.254.169.254/latest',
  ]);
  // A name that says nothing about URLs: the value is a whole URL all the same.
  assert.deepEqual(found({ message: 'http://localhost:6379/' }), ['message http://localhost:6379/']);
  // Tabs and newlines vanish in the WHATWG parser (fetch()): the host it would use is checked too.
  assert.deepEqual(found({ q: 'http://pub.example\t@127.0.0.1/' }), ['q http://pub.example', 'q http://pub.example@127.0.0.1/']);
  assert.deepEqual(found({ q: 'ht\ttp://127.0.0.1/' }), ['q http://127.0.0.1/']);
  assert.deepEqual(found({ q: 'http:127.0.0.1' }), ['q http://127.0.0.1/'], 'a special scheme without slashes');
  // Text that starts with a URL is judged by that URL (its first word; the whole parse names the same host).
  assert.deepEqual(found({ note: 'http://localhost:3000 is the dev server' }), ['note http://localhost:3000']);
});

test('hosts: literals anywhere, name:port under page-like names, anything under host names', () => {
  assert.deepEqual(found({ a: '10.0.0.7', b: '127.0.0.1:8080/admin', c: '[::1]:22', d: 'fe80::1', e: 'localhost', f: 'x.localhost:1', g: 'metadata.google.internal' }), [
    'a http://10.0.0.7',
    'b http://127.0.0.1:8080/admin',
    'c http://[::1]:22',
    'd http://[fe80::1]/',
    'e http://localhost',
    'f http://x.localhost:1',
    'g http://metadata.google.internal',
  ]);
  assert.deepEqual(found({ a: '0x7f.0.0.1', b: '0177.0.0.1' }), ['a http://0x7f.0.0.1', 'b http://0177.0.0.1']);
  assert.deepEqual(found({ page: 'internal.corp:9200', server: 'db:5432', siteUrl: 'cache:6379', note: 'internal.corp:9200' }), [
    'page http://internal.corp:9200',
    'server http://db:5432',
    'siteUrl cache:6379',
    'siteUrl http://cache:6379',
  ]);
  assert.deepEqual(found({ host: '2130706433', hostname: 'intranet', targetHost: 'a b', domain: 'corp.example', ip: 167772161 }), [
    'host http://2130706433',
    'hostname http://intranet',
    'targetHost http://a b',
    'domain http://corp.example',
    'ip http://167772161',
  ]);
  assert.deepEqual(found({ host: '::' }), ['host http://[::]/']);
});

test('ordinary values are not destinations', () => {
  assert.deepEqual(
    found({
      message: 'see http://example.com for details',
      version: '10.5',
      semver: '1.2.3',
      bad: '1.2.3.400',
      id: '12345',
      key: 'user:1000',
      file: 'src/app.ts:42',
      page: 'index.html',
      page2: '2',
      server: 'github',
      sep: '::',
      mail: 'mailto:a@example.com',
      bucket: 's3://my-bucket/data.csv',
      rel: '/api/v1/users',
      text: 'localhost is where it runs',
      win: 'C:\\Users\\me',
      flag: true,
      n: 8080,
    }),
    [],
  );
});

test('a URL-named argument keeps its raw value for the guard, plus scheme-less hosts', () => {
  assert.deepEqual(found({ url: 'localhost:8080' }), ['url localhost:8080', 'url http://localhost:8080']);
  assert.deepEqual(found({ data: '10.0.0.1' }, { urlArguments: ['data'], covered: [] }), ['data 10.0.0.1', 'data http://10.0.0.1']);
  assert.deepEqual(found({ request: { url: 'http://10.0.0.1/' } }, { urlArguments: [], covered: ['request.url'] }), [], 'a rule URL constraint covers it');
});

test('limits: too many destinations or too deep a value refuses instead of checking part', () => {
  const many = Array.from({ length: MAX_DESTINATIONS + 1 }, (_, i) => `http://h${i}.example/`);
  const walk = leavesOf({ urls: many });
  assert.ok(walk.ok);
  assert.equal(destinationsOf(walk.leaves, none).ok, false);
  let deep: unknown = 'http://127.0.0.1/';
  for (let i = 0; i < MAX_LEAF_DEPTH + 1; i++) deep = { n: deep };
  assert.equal(leavesOf(deep).ok, false);
});

test('through decideArguments: nested and host-only destinations are refused after resolution', async () => {
  const { config } = loadConfigText('mcp:\n  security:\n    toolAccess: { defaultPolicy: allow }\n');
  const table: Record<string, string[]> = { 'public.example': ['93.184.215.14'], 'intranet': ['10.1.2.3'] };
  const resolve = async (h: string) => {
    if (table[h]) return table[h];
    throw new Error(`ENOTFOUND ${h}`);
  };
  const call = (args: Record<string, unknown>) =>
    decideArguments(config.mcp.security, undefined, {
      server: 's', tool: 'fetch', servers: ['s'], args,
      principal: { subject: 'a', method: 't', roles: [] }, session: { id: 's', labels: new Set() }, nowMs: 0,
    }, { quotas: new MemoryQuotaStore(), resolve, consume: false });
  for (const args of [
    { request: { url: 'http://127.0.0.1:9/' } },
    { requests: [{ url: 'http://public.example/' }, { url: 'http://intranet/' }] },
    { host: 'intranet', port: 80 },
    { page: '127.0.0.1:8080' },
    { options: { proxy: 'http://[::ffff:169.254.169.254]/' } },
  ]) {
    const d = await call(args);
    assert.equal(d.allowed, false, JSON.stringify(args));
    assert.equal(d.denied?.rule, 'argumentGuards.privateAddresses', JSON.stringify(d.denied));
  }
  const ok = await call({ request: { url: 'http://public.example/' }, note: 'fetch http://127.0.0.1 later', page: 'index.html' });
  assert.equal(ok.allowed, true, JSON.stringify(ok.denied));
  assert.equal((await call({ host: 'unknown-name' })).denied?.rule, 'argumentGuards.privateAddresses', 'a host that does not resolve is refused');
});
