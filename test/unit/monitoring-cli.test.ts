/**
 * The monitoring and incident commands from the outside: help, operator mistakes with their exit
 * codes, and the admin token whose hash goes into the configuration.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, NODE, tempDir } from '../helpers/gateway-process.ts';

const cli = (...args: string[]) => spawnSync(NODE, [BIN, ...args], { encoding: 'utf8' });

test('every monitoring command has its own help', () => {
  for (const c of ['audit', 'report', 'alerts', 'lockdown', 'revoke', 'server', 'keys']) {
    const r = cli(c, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`^Usage: portcullis ${c}`));
  }
});

test('operator mistakes are usage errors (2) or failures (1), with a message', () => {
  assert.equal(cli('lockdown').status, 2);
  assert.equal(cli('lockdown', 'off', '--allow', 'x').status, 2);
  const both = cli('revoke', '--all', '--subject', 'bob');
  assert.equal(both.status, 2);
  assert.match(both.stderr, /exactly one of --all, --session, --subject/);
  assert.equal(cli('server', 'disable', 'Bad_Name').status, 2);
  assert.equal(cli('report', '--since', '1y', '--db', 'x.db').status, 2);
  const missing = cli('audit', 'verify', '/nonexistent/audit.log');
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no such audit file/);
  const noStore = cli('report', '--db', '/nonexistent/events.db');
  assert.equal(noStore.status, 1);
  assert.match(noStore.stderr, /no such database file/);
});

test('keys admin-token: a fresh token, written 0600, and the hash to configure', () => {
  const dir = tempDir();
  const out = join(dir, 'admin.token');
  const r = cli('keys', 'admin-token', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statSync(out).mode & 0o777, 0o600);
  const token = readFileSync(out, 'utf8').trim();
  assert.equal(r.stdout.includes(token), false, 'the token is not printed when written to a file');
  const hash = /tokenHash: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1];
  assert.equal(hash, `sha256:${createHash('sha256').update(token).digest('hex')}`);
  const again = cli('keys', 'admin-token', '--out', out);
  assert.equal(again.status, 1, 'never overwrites a token file');
  assert.match(again.stderr, /EEXIST/);
});

test('revoke without an admin listener writes the state file: a certificate by any spelling of its fingerprint, a key, a reinstatement', () => {
  const dir = tempDir();
  const fp = 'AB:'.repeat(31) + 'CD';
  const r = cli('revoke', '--certificate', fp, '--state-dir', dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`revoked certificate ${'ab'.repeat(31)}cd in `));
  assert.equal(cli('revoke', '--api-key', 'ci', '--state-dir', dir).status, 0);
  assert.equal(cli('revoke', '--reinstate', '--api-key', 'ci', '--state-dir', dir).status, 0);
  const s = JSON.parse(readFileSync(join(dir, 'incident.json'), 'utf8')) as { revocations: { certificates: Record<string, string>; apiKeys: Record<string, string>; reinstated: { apiKeys: Record<string, string> } } };
  assert.deepEqual(Object.keys(s.revocations.certificates), ['ab'.repeat(31) + 'cd']);
  assert.ok(s.revocations.apiKeys.ci <= s.revocations.reinstated.apiKeys.ci, 'reinstated after it was revoked');
  assert.equal(cli('revoke', '--certificate', 'abc', '--state-dir', dir).status, 2, 'not a fingerprint');
  assert.equal(cli('revoke', '--reinstate', '--all', '--state-dir', dir).status, 2, '--all cannot be reinstated');
});
