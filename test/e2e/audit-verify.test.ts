/**
 * The audit chain of a real gateway run: `portcullis keys generate`, a gateway signing its
 * checkpoints, `portcullis audit verify --config` over the file and the SQLite store (with the
 * live log open while it runs), and the private key nowhere in any log, record or row.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, NODE, startGateway, tempDir } from '../helpers/gateway-process.ts';

test('a gateway signs its audit chain; verify passes, then catches an edit; the key never leaks', async () => {
  const dir = tempDir();
  const keys = spawnSync(NODE, [BIN, 'keys', 'generate', '--dir', join(dir, 'keys')], { encoding: 'utf8' });
  assert.equal(keys.status, 0, keys.stderr);
  assert.match(keys.stdout, /key id [0-9a-f]{16}/);
  const privatePath = join(dir, 'keys', 'audit-signing.key');
  assert.equal(statSync(privatePath).mode & 0o777, 0o600);
  const pem = JSON.parse(readFileSync(privatePath, 'utf8')) as { ed25519: string; mldsa65: string };
  const secretLines = [pem.ed25519, pem.mldsa65].flatMap((p) => p.split('\n').filter((l) => l && !l.startsWith('-----')));
  assert.equal(secretLines.some((l) => keys.stdout.includes(l)), false, 'keys generate prints no private material');

  const yaml = `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess: {defaultPolicy: allow, deniedTools: [get-env]}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
      signing: {privateKey: "\${DIR}/keys/audit-signing.key", publicKey: "\${DIR}/keys/audit-signing.pub", checkpointEveryRecords: 5}
`;
  // Relative paths in a configuration (mcp.state.dir) are the working directory's: the CLI runs where the gateway does.
  const gw = await startGateway(yaml, [], { dir });
  after(() => gw.stop());
  const client = new Client({ name: 'verify-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  for (let i = 0; i < 12; i++) await client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
  await client.callTool({ name: 'get-env', arguments: {} }).catch(() => {});
  await new Promise((r) => setTimeout(r, 300));
  const cfg = join(dir, 'config.yaml');
  const live = spawnSync(NODE, [BIN, 'audit', 'verify', '--config', cfg], { encoding: 'utf8', cwd: dir });
  assert.equal(live.status, 1, 'a running gateway has not sealed its chains');
  assert.match(live.stdout, /without its seal/);
  const open = spawnSync(NODE, [BIN, 'audit', 'verify', '--config', cfg, '--allow-open'], { encoding: 'utf8', cwd: dir });
  assert.equal(open.status, 0, open.stdout + open.stderr);
  await client.close();
  assert.equal(await gw.stop(), 0);

  const ok = spawnSync(NODE, [BIN, 'audit', 'verify', '--config', cfg], { encoding: 'utf8', cwd: dir });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /audit\.log: OK — \d+ records in 1 chain\(s\) \(1 sealed\), signatures verified/);
  assert.match(ok.stdout, /event store: OK — \d+ records in 1 chain\(s\) \(1 sealed\), signatures verified/);
  assert.match(ok.stdout, /records\/s/);

  // Nothing of the private key in the stderr log, the audit file or the store.
  const everything = [gw.stderr(), readFileSync(gw.auditPath, 'utf8'), ...readdirSync(join(dir, 'portcullis-state')).map((f) => readFileSync(join(dir, 'portcullis-state', f)).toString('latin1'))].join('\n');
  for (const l of secretLines) assert.equal(everything.includes(l), false, 'private key material leaked');
  assert.equal(/NOT SIGNED/.test(gw.stderr()), false);

  // One edited byte in the file.
  const lines = readFileSync(gw.auditPath, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('"m7"'));
  lines[at] = lines[at].replace('"m7"', '"m8"');
  writeFileSync(gw.auditPath, lines.join('\n'));
  const bad = spawnSync(NODE, [BIN, 'audit', 'verify', gw.auditPath, '--key', join(dir, 'keys', 'audit-signing.pub')], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, new RegExp(`TAMPERED — ${gw.auditPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${at + 1}: contents changed`));
});
