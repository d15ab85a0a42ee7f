/** After an upstream 401: when the gateway fetches another token, and when it does not (no refetch storm). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientCredentials } from '../../src/upstream/oauth-client-credentials.ts';

test('a 401 forces at most one new token per window; a token already replaced just retries', () => {
  const c = new ClientCredentials({ tokenUrl: 'https://auth.example.com/token', clientId: 'gw', clientSecret: 's', allowPrivateAddresses: false }, 'https://up.example.com/mcp');
  assert.equal(c.invalidate('t1'), true, 'the first 401 drops the token: the retry fetches another');
  assert.equal(c.invalidate('t1'), false, 'a second 401 moments later forces nothing: the upstream refuses every token');
  (c as unknown as { cached: { token: string; expiresAt: number } }).cached = { token: 't2', expiresAt: Date.now() + 60_000 };
  assert.equal(c.invalidate('t1'), true, 'a 401 to a token another call already replaced: retry with the new one');
});
