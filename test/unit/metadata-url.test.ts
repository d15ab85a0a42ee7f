/** URLs taken on a server's word (CVE-2025-6514 class): refused shapes, and the SSRF check reused from the argument policy. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkMetadataUrl, checkMetadataUrlSyntax } from '../../src/upstream/metadata-url.ts';

test('refused: other schemes, http off loopback, credentials, shell metacharacters, fragments, length', () => {
  for (const bad of [
    'javascript:alert(1)',
    'file:///etc/passwd',
    'data:text/html,<script>',
    'http://auth.example.com/token',
    'https://user:pw@auth.example.com/token',
    'https://auth.example.com/$(calc.exe)',
    'https://auth.example.com/a`id`',
    'https://auth.example.com/a;rm -rf',
    'https://auth.example.com/a?x=1&calc',
    'https://auth.example.com/a#frag',
    `https://auth.example.com/${'a'.repeat(2100)}`,
    42,
  ]) assert.equal(checkMetadataUrlSyntax(bad).ok, false, String(bad));
  for (const good of ['https://auth.example.com/oauth/token', 'http://127.0.0.1:8080/token', 'http://localhost/token']) assert.equal(checkMetadataUrlSyntax(good).ok, true, good);
});

test('private, loopback and metadata destinations are refused unless allowed', async () => {
  const resolve = async (h: string) => (h === 'rebind.example.com' ? ['169.254.169.254'] : ['93.184.216.34']);
  assert.equal((await checkMetadataUrl('https://rebind.example.com/token', { resolve })).ok, false);
  assert.equal((await checkMetadataUrl('http://127.0.0.1:9/token', { resolve })).ok, false);
  assert.equal((await checkMetadataUrl('https://10.0.0.5/token', { resolve })).ok, false);
  assert.equal((await checkMetadataUrl('https://auth.example.com/token', { resolve })).ok, true);
  assert.equal((await checkMetadataUrl('http://127.0.0.1:9/token', { allowPrivateAddresses: true, resolve })).ok, true);
});
