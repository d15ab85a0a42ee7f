import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSecretKey, MAX_STRING, redactArguments, REDACTED, TRUNCATED } from '../../src/audit/redact.ts';

describe('isSecretKey', () => {
  it('recognizes secret names in any casing and separator style', () => {
    for (const k of [
      'password', 'PASSWORD', 'db_password', 'dbPassword', 'dbpassword', 'passWord', 'passwd', 'pwd', 'token',
      'access_token', 'accessToken', 'accesstoken', 'refresh-token', 'secret', 'clientSecret', 'client.secret',
      'apiKey', 'api_key', 'API_KEY', 'APIKey', 'x-api-key', 'apikey', 'key', 'privateKey', 'private_key', 'accessKey',
      'credential', 'credentials', 'awsCredentials', 'authorization', 'Authorization', 'proxy-authorization', 'auth',
      'authToken', 'cookie', 'Set-Cookie', 'session_id', 'sessionId', 'SESSIONID', 'private',
    ]) {
      assert.equal(isSecretKey(k), true, k);
    }
  });

  it('leaves ordinary names alone', () => {
    for (const k of ['keyword', 'keywords', 'monkey', 'hockey', 'path', 'query', 'max_tokens', 'maxTokens', 'author', 'session', 'name', 'id', 'content']) {
      assert.equal(isSecretKey(k), false, k);
    }
  });

  it('copes with a long all-caps key (no quadratic regex)', () => {
    assert.equal(isSecretKey('A'.repeat(200_000)), false);
    assert.equal(isSecretKey(`${'A'.repeat(200_000)}_TOKEN`), true);
  });
});

describe('redactArguments', () => {
  it('replaces secret values at any depth, whatever their type', () => {
    const input = {
      path: '/tmp/x',
      password: 'hunter2',
      nested: { list: [{ apiKey: 'k-123', value: 1 }], credentials: { user: 'u', pass: 'p' } },
      token: 42,
    };
    assert.deepEqual(redactArguments(input), {
      path: '/tmp/x',
      password: REDACTED,
      nested: { list: [{ apiKey: REDACTED, value: 1 }], credentials: REDACTED },
      token: REDACTED,
    });
  });

  it('redacts bearer tokens inside any string', () => {
    const out = redactArguments({ header: 'Authorization was Bearer abc.def-ghi_jkl==', list: ['curl -H "bearer xyz123"'] });
    assert.deepEqual(out, { header: 'Authorization was Bearer [REDACTED]', list: ['curl -H "Bearer [REDACTED]"'] });
    assert.equal(redactArguments('Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig'), 'Bearer [REDACTED]');
  });

  it('never mutates its input', () => {
    const input = { password: 'x', deep: { token: 'y', s: 'Bearer z' }, arr: [1, 2] };
    const before = structuredClone(input);
    const out = redactArguments(input) as typeof input;
    assert.deepEqual(input, before);
    assert.notEqual(out.deep, input.deep);
    assert.deepEqual(out, { password: '[REDACTED]', deep: { token: '[REDACTED]', s: 'Bearer [REDACTED]' }, arr: [1, 2] });
  });

  it('shares what needs no change with the input (copy on write)', () => {
    const clean = { path: '/tmp/a', opts: { depth: 2, tags: ['x', 'y'] } };
    assert.equal(redactArguments(clean), clean);
    const mixed = { clean: clean.opts, list: ['ok', 'Bearer abc'], apiKey: 'k' };
    const out = redactArguments(mixed) as typeof mixed;
    assert.equal(out.clean, clean.opts);
    assert.notEqual(out.list, mixed.list);
    assert.deepEqual(out, { clean: clean.opts, list: ['ok', 'Bearer [REDACTED]'], apiKey: '[REDACTED]' });
    assert.deepEqual(mixed.list, ['ok', 'Bearer abc']);
  });

  it('truncates below the maximum depth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    let node = redactArguments(deep);
    let depth = 0;
    while (typeof node === 'object' && node !== null) {
      node = (node as { d: unknown }).d;
      depth++;
    }
    assert.equal(node, TRUNCATED);
    assert.equal(depth, 64);
    let shallow: unknown = 'leaf';
    for (let i = 0; i < 10; i++) shallow = [shallow];
    assert.deepEqual(redactArguments(shallow), shallow);
  });

  it('caps string length with a marker', () => {
    const out = redactArguments({ body: 'x'.repeat(10_000) }) as { body: string };
    assert.ok(out.body.startsWith('x'.repeat(MAX_STRING)));
    assert.ok(out.body.length < MAX_STRING + 64);
    assert.match(out.body, /TRUNCATED 5904 chars/);
  });

  it('keeps `__proto__` as a plain key, never as a prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = redactArguments(input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ['__proto__', 'a']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('passes primitives through and makes non-JSON values loggable', () => {
    assert.equal(redactArguments(3), 3);
    assert.equal(redactArguments(null), null);
    assert.equal(redactArguments(true), true);
    assert.equal(redactArguments(10n), '10');
    assert.equal(redactArguments(undefined), undefined);
  });
});
