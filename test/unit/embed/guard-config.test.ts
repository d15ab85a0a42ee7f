/**
 * The guard's configuration: the seed's OpenClaw file loads with the same loader as `run` (its
 * skills become the servers a guard can wrap), what the guard cannot enforce is refused by name
 * unless allowed, and misuse of `wrap` fails with a message naming the fix.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Guard, GuardConfigError } from '../../../src/embed/guard.ts';
import { guardUnenforced, IN_PROCESS_COMMAND, loadGuardConfig } from '../../../src/embed/guard-config.ts';
import { GuardUsageError } from '../../../src/embed/sdk-client.ts';
import { ROOT, writeConfig } from '../../helpers/gateway-process.ts';

const SEED = join(ROOT, 'test', 'fixtures', 'config', 'openclaw-mcp-security.yaml');
const ENV = { AUDIT_WEBHOOK_TOKEN: 'unit' };

describe('guard configuration', () => {
  test("the seed's openclaw-mcp-security.yaml loads unchanged; its skills are the guard's servers, with their overrides", () => {
    const loaded = loadGuardConfig(SEED, [], ENV);
    assert.deepEqual(loaded.servers.map((s) => [s.name, s.command]), [
      ['database-mcp', IN_PROCESS_COMMAND],
      ['file-system-mcp', IN_PROCESS_COMMAND],
    ]);
    assert.deepEqual(loaded.notes, [], 'no skill names a missing server any more');
    const db = loaded.servers.find((s) => s.name === 'database-mcp')!;
    assert.ok(db.effective.toolAccess.deniedTools.includes('database.drop'));
    const fs = loaded.servers.find((s) => s.name === 'file-system-mcp')!;
    assert.equal(fs.effective.sandbox.memoryLimit, '256m');
    assert.equal(fs.effective.rateLimiting.requestsPerMinute, 30);
  });

  test('extra server names from the host are added; declared servers are kept as they are', () => {
    const cfg = writeConfig('mcp:\n  servers:\n    - {name: files, command: /bin/true}\n');
    const loaded = loadGuardConfig(cfg.path, ['notes', 'files']);
    assert.deepEqual(loaded.servers.map((s) => [s.name, s.command]), [['files', '/bin/true'], ['notes', IN_PROCESS_COMMAND]]);
  });

  test('sandbox and mtls are named as not enforced by the guard, per server', () => {
    const list = guardUnenforced(loadGuardConfig(SEED, [], ENV)).map((u) => u.path);
    assert.deepEqual(list, ["server 'database-mcp': sandbox", "server 'database-mcp': mtls", "server 'file-system-mcp': sandbox", "server 'file-system-mcp': mtls"]);
  });

  test('Guard.fromConfig refuses them unless allowUnenforced, and then warns for each', async () => {
    await assert.rejects(Guard.fromConfig(SEED, { env: ENV, log: () => {} }), (err: Error) => err instanceof GuardConfigError && /NOT ENFORCED/.test(err.message) && /file-system-mcp': sandbox/.test(err.message) && /allowUnenforced/.test(err.message));
    const cfg = writeConfig('mcp:\n  state: {dir: "${DIR}/state"}\n  security:\n    sandbox: {enabled: true}\n    audit: {enabled: false}\n  skills:\n    - name: files\n');
    const lines: string[] = [];
    const guard = await Guard.fromConfig(cfg.path, { allowUnenforced: true, log: (l) => lines.push(l) });
    try {
      assert.ok(lines.some((l) => /^WARNING: NOT ENFORCED: server 'files': sandbox/.test(l)), lines.join('\n'));
    } finally {
      await guard.close();
    }
  });

  test('wrap: an unknown server and a client that is not connected fail with the fix', async () => {
    const cfg = writeConfig('mcp:\n  state: {dir: "${DIR}/state"}\n  security:\n    audit: {enabled: false}\n  skills:\n    - name: files\n');
    const guard = await Guard.fromConfig(cfg.path, { log: () => {} });
    try {
      const fake = { getServerVersion: () => undefined, getServerCapabilities: () => ({}), getInstructions: () => undefined };
      assert.throws(() => guard.wrap(fake, { server: 'nope' }), (e: Error) => e instanceof GuardUsageError && /no server 'nope'.*servers: files.*fix:/.test(e.message));
      assert.throws(() => guard.wrap(fake, { server: 'files' }), (e: Error) => e instanceof GuardUsageError && /connect the client first/.test(e.message));
      assert.throws(() => guard.wrap({}, { server: 'files' }), (e: Error) => e instanceof GuardUsageError && /not an MCP SDK Client/.test(e.message));
    } finally {
      await guard.close();
    }
  });
});
