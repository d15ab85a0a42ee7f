import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanSecrets } from '../../src/detect/dlp.ts';

/** The spans the DLP scan would redact, as text. */
const spans = async (text: string) => (await scanSecrets(text)).filter((f) => f.category === 'secret').map((f) => text.slice(f.start, f.end));

test("the seed's password: / api_key: / secret: lines are redacted when their value is plain", async () => {
  assert.deepEqual(await spans('user: app\npassword: hunter2\n'), ['hunter2']);
  assert.deepEqual(await spans('{"username":"svc","password":"s3cr3t"}'), ['s3cr3t']);
  assert.deepEqual(await spans('api_key: 7f3a9c2e1b'), ['7f3a9c2e1b']);
  assert.deepEqual(await spans('secret: mysecretvalue'), ['mysecretvalue']);
  assert.deepEqual(await spans("config.secret_key = 'tr0ub4dor'"), ['tr0ub4dor']);
  assert.deepEqual(await spans('DB_PASSWORD=correcthorse\nDB_USER=app'), ['correcthorse']);
});

test('what only looks like one: types, prose, references, names, switches, doc stand-ins, token counts', async () => {
  for (const t of [
    'password: string\napi_key: required\nsecret: optional',
    'The password: must be at least 8 characters long.',
    'password: ${DB_PASSWORD}',
    'secretName: db-credentials\nsecret: my-app-secret',
    "new Client({ user: 'brianc', password: 'secret!' })",
    'api_key: YOUR_API_KEY',
    'password: true',
    'max_tokens: 1000\ntoken: 3600',
  ]) assert.deepEqual(await spans(t), [], t);
});
