/**
 * The console's sign-in and CSRF rules (src/monitor/admin-auth.ts), on real IncomingMessage
 * objects from a real socket: the token compared by digest, failed sign-ins limited per address,
 * the cookie's attributes, a session only from its own cookie, CSRF token and Origin both needed.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { bearerAuthorized, ConsoleSessions, hashToken, sessionCookie } from '../../src/monitor/admin-auth.ts';

const HASH = hashToken('the-admin-token');

/** One real request to a real server; resolves with the IncomingMessage the server saw. */
async function incoming(headers: Record<string, string>): Promise<IncomingMessage> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  const seen = new Promise<IncomingMessage>((resolve) => srv.once('request', (req, res) => { resolve(req); res.end(); }));
  await new Promise<void>((resolve, reject) => request({ host: '127.0.0.1', port, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end());
  const req = await seen;
  srv.close();
  return req;
}

test('bearer: the right token only', async () => {
  assert.equal(bearerAuthorized(await incoming({ authorization: 'Bearer the-admin-token' }), HASH), true);
  assert.equal(bearerAuthorized(await incoming({ authorization: 'Bearer the-admin-tokem' }), HASH), false);
  assert.equal(bearerAuthorized(await incoming({ authorization: 'Basic dGhlLWFkbWluLXRva2Vu' }), HASH), false);
  assert.equal(bearerAuthorized(await incoming({}), HASH), false);
});

test('sign-in: wrong tokens are counted per address and throttled; a session needs its own cookie', async () => {
  const s = new ConsoleSessions();
  for (let i = 0; i < 10; i++) assert.equal(s.signIn('guess', HASH, '10.0.0.1'), 'refused');
  assert.equal(s.signIn('the-admin-token', HASH, '10.0.0.1'), 'throttled', 'even the right token waits once the address is throttled');
  const ok = s.signIn('the-admin-token', HASH, '10.0.0.2');
  assert.ok(typeof ok === 'object');
  const req = await incoming({ cookie: `other=1; portcullis_console=${ok.id}` });
  assert.equal(s.of(req)?.id, ok.id);
  assert.equal(s.of(await incoming({ cookie: 'portcullis_console=forged' })), undefined);
  const cookie = sessionCookie(ok, req);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  assert.doesNotMatch(cookie, /Secure/, 'plain HTTP');
});

test('CSRF: the session token and the own origin, both', async () => {
  const s = new ConsoleSessions();
  const ok = s.signIn('the-admin-token', HASH, '10.0.0.3');
  assert.ok(typeof ok === 'object');
  assert.equal(s.csrfOk(await incoming({ 'x-portcullis-csrf': ok.csrf }), ok), true);
  assert.equal(s.csrfOk(await incoming({}), ok), false);
  assert.equal(s.csrfOk(await incoming({ 'x-portcullis-csrf': ok.csrf.slice(1) }), ok), false);
  assert.equal(s.csrfOk(await incoming({ 'x-portcullis-csrf': ok.csrf, origin: 'https://evil.example' }), ok), false);
  assert.equal(s.csrfOk(await incoming({ 'x-portcullis-csrf': ok.csrf, 'sec-fetch-site': 'cross-site' }), ok), false);
  s.signOut(ok);
  assert.equal(s.of(await incoming({ cookie: `portcullis_console=${ok.id}` })), undefined);
});
