/** `mcp.security.inspection`: safe defaults, and a server override sets only what it names. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';

test('defaults: injection in results quarantined, in arguments blocked; secrets redacted, in arguments blocked', () => {
  const { config } = loadConfigText('mcp: {}');
  const i = config.mcp.security.inspection;
  assert.equal(i.enabled, true);
  assert.equal(i.sanitizeOutput, true);
  assert.deepEqual(i.injection.results, { low: 'flag', medium: 'flag', high: 'quarantine', critical: 'quarantine' });
  assert.deepEqual(i.injection.arguments, { low: 'flag', medium: 'flag', high: 'block', critical: 'block' });
  assert.equal(i.dlp.secrets, 'redact');
  assert.equal(i.dlp.argumentSecrets, 'block');
  assert.equal(i.dlp.argumentPii, 'flag');
});

test('a per-server override changes only the keys it names', () => {
  const loaded = loadConfigText(`
mcp:
  servers: [{name: a, command: x, security: {inspection: {injection: {results: {high: block}}, dlp: {pii: off}}}}]
  security:
    inspection: {injection: {results: {medium: quarantine}}, dlp: {secrets: block}}
`);
  const eff = loaded.servers[0]!.effective.inspection;
  assert.deepEqual(eff.injection.results, { low: 'flag', medium: 'quarantine', high: 'block', critical: 'quarantine' });
  assert.equal(eff.dlp.secrets, 'block');
  assert.equal(eff.dlp.pii, 'off');
  assert.equal(eff.sanitizeOutput, true);
});

test('quarantine is not an action for arguments; unknown keys are errors', () => {
  assert.throws(() => loadConfigText('mcp: {security: {inspection: {injection: {arguments: {high: quarantine}}}}}'));
  assert.throws(() => loadConfigText('mcp: {security: {inspection: {dlp: {secret: redact}}}}'));
});
