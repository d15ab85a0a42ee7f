/**
 * Configuration: the seed's file loads unchanged, problems name path, line and fix, overrides
 * merge as documented, and the generated schema and reference are in sync with the zod schema.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findUnenforced } from '../../src/config/enforcement.ts';
import { ConfigError, loadConfigFile, loadConfigText } from '../../src/config/load.ts';
import { docs, DOCS_PATH, jsonSchema, SCHEMA_PATH } from '../../scripts/gen-config.ts';
import { BIN, NODE, ROOT, writeConfig } from '../helpers/gateway-process.ts';

// The seed's configuration lives in ../shared; a copy is kept here so the suite runs where
// shared/ is absent, and the copy is checked against the original wherever it is present.
const SHARED_SEED = join(ROOT, '..', 'shared', 'fixtures', 'openclaw-mcp-security.yaml');
const SEED = existsSync(SHARED_SEED) ? SHARED_SEED : join(ROOT, 'test', 'fixtures', 'config', 'openclaw-mcp-security.yaml');
const seedEnv = { ...process.env, AUDIT_WEBHOOK_TOKEN: 'test-token' };

test('the kept copy of the seed configuration is the original, byte for byte', { skip: existsSync(SHARED_SEED) ? false : 'shared/ is not beside this checkout' }, () => {
  assert.equal(readFileSync(join(ROOT, 'test', 'fixtures', 'config', 'openclaw-mcp-security.yaml'), 'utf8'), readFileSync(SHARED_SEED, 'utf8'));
});

test('the seed configuration loads unchanged', () => {
  const loaded = loadConfigFile(SEED, seedEnv);
  const s = loaded.config.mcp.security;
  assert.equal(s.requireAuth, true);
  assert.equal(s.toolAccess.defaultPolicy, 'deny');
  assert.equal(s.rateLimiting.requestsPerMinute, 30);
  assert.equal(s.rateLimiting.burstSize, 10);
  assert.equal(s.validation.maxNestingDepth, 5);
  assert.equal(s.audit.destinations[1].type, 'webhook');
  assert.equal(loaded.config.mcp.skills.length, 2);
  assert.deepEqual(
    loaded.notes.map((n) => n.path),
    ['mcp.skills.0.name', 'mcp.skills.1.name'],
  );
});

test('portcullis check on the seed lists exactly what this build does not enforce', () => {
  // The seed sets requireAuth but no authenticator: check fails naming the key and the fix.
  const seed = spawnSync(NODE, [BIN, 'check', '--config', SEED, '--json'], { env: seedEnv, encoding: 'utf8' });
  assert.equal(seed.status, 1, seed.stderr);
  const refused = JSON.parse(seed.stdout) as { valid: boolean; problems: { path: string; message: string }[] };
  assert.equal(refused.valid, false);
  // Its mtls block is enforced (client certificate toward HTTPS upstreams): the files it names
  // do not exist here, and each is named with the fix.
  const mtlsKeys = ['mcp.security.mtls.clientCertPath', 'mcp.security.mtls.clientKeyPath', 'mcp.security.mtls.caCertPath'];
  assert.deepEqual(refused.problems.map((p) => p.path), ['mcp.security.requireAuth', ...mtlsKeys]);
  assert.match(refused.problems[0].message, /fix: configure mcp\.identity\.jwt/);
  for (const p of refused.problems.slice(1) as unknown as { message: string; fix: string }[]) {
    assert.match(p.message, /cannot read \/secure\/certs\/.*ENOENT/);
    assert.match(p.fix, /mtls\.enabled: false/);
  }
  // With an API key configured, requireAuth is enforced: only what is really missing is listed.
  // With the certificate files present too, nothing is refused and nothing is unenforced.
  const pem = writeConfig('placeholder');
  for (const f of ['mcp-client.crt', 'mcp-client.key', 'mcp-ca.crt']) writeFileSync(join(pem.dir, f), '-----BEGIN CERTIFICATE-----\n(check reads the file; the PEM is parsed when an HTTPS upstream connects)\n');
  const text = readFileSync(SEED, 'utf8')
    .replace(/^mcp:\s*$/m, `mcp:\n  identity:\n    apiKeys: [{id: k1, subject: agent, hash: "sha256:${'0'.repeat(64)}"}]`)
    .replaceAll('/secure/certs/', `${pem.dir}/`);
  const withKey = writeConfig(text);
  const r = spawnSync(NODE, [BIN, 'check', '--config', withKey.path, '--json'], { env: seedEnv, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { valid: boolean; unenforced: { path: string }[] };
  assert.equal(out.valid, true);
  assert.deepEqual(out.unenforced.map((u) => u.path), []);
});

test('a missing ${VAR} is an error naming the variable, the path and the line', () => {
  assert.throws(
    () => loadConfigFile(SEED, {}),
    (e: unknown) => e instanceof ConfigError && e.problems[0].path === 'mcp.security.audit.destinations.1.headers.Authorization' && e.problems[0].line === 75 && /AUDIT_WEBHOOK_TOKEN/.test(e.problems[0].message),
  );
});

test('portcullis check on the seed without its ${VAR}: the unset variable and every other problem, in one run', () => {
  const env = { ...process.env };
  delete env.AUDIT_WEBHOOK_TOKEN;
  const r = spawnSync(NODE, [BIN, 'check', '--config', SEED, '--json'], { env, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { valid: boolean; problems: { path: string; line?: number; message: string }[]; unenforced: unknown[] };
  assert.equal(out.valid, false);
  assert.deepEqual(out.problems.map((p) => p.path), [
    'mcp.security.audit.destinations.1.headers.Authorization',
    'mcp.security.requireAuth',
    'mcp.security.mtls.clientCertPath',
    'mcp.security.mtls.clientKeyPath',
    'mcp.security.mtls.caCertPath',
  ]);
  assert.match(out.problems[0].message, /AUDIT_WEBHOOK_TOKEN/);
  assert.equal(out.problems[0].line, 75);
  const text = spawnSync(NODE, [BIN, 'check', '--config', SEED], { env, encoding: 'utf8' });
  assert.match(text.stdout, /5 problem\(s\)/);
});

test('unset ${VAR}s are listed with the schema problems of the same file, without echoes from their empty values', () => {
  const text = `mcp:
  listen: { port: "eighty" }
  security:
    audit:
      destinations:
        - { type: webhook, url: "\${HOOK_URL}", headers: { Authorization: "Bearer \${HOOK_TOKEN}" } }
`;
  assert.throws(
    () => loadConfigText(text, 'x.yaml', {}),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      // The empty url is no separate "invalid url" problem: the unset variable is the problem there.
      assert.deepEqual(e.problems.map((p) => p.path), ['mcp.security.audit.destinations.0.url', 'mcp.security.audit.destinations.0.headers.Authorization', 'mcp.listen.port']);
      return true;
    },
  );
});

test('run and wrap still refuse to start when a ${VAR} is unset, and say which', () => {
  // In the audit settings, like the seed's token: wrap replaces mcp.servers, not the rest.
  const cfg = writeConfig(`mcp:
  servers:
    - { name: s, command: "${NODE}", args: ["-e", ""] }
  security:
    audit:
      destinations:
        - { type: webhook, url: "http://127.0.0.1:9/hook", headers: { Authorization: "Bearer \${PORTCULLIS_TEST_UNSET_VAR}" } }
`);
  const env = { ...process.env };
  delete env.PORTCULLIS_TEST_UNSET_VAR;
  for (const argv of [['run', '--config', cfg.path], ['wrap', '--config', cfg.path, '--', NODE, '-e', '']]) {
    const r = spawnSync(NODE, [BIN, ...argv], { env, encoding: 'utf8', timeout: 60_000, input: '' });
    assert.notEqual(r.status, 0, argv[0]);
    assert.match(r.stderr + r.stdout, /PORTCULLIS_TEST_UNSET_VAR is not set/, argv[0]);
    assert.doesNotMatch(r.stdout, /listening on/, argv[0]);
  }
  const check = spawnSync(NODE, [BIN, 'check', '--config', cfg.path], { env, encoding: 'utf8' });
  assert.equal(check.status, 1);
  assert.match(check.stdout, /PORTCULLIS_TEST_UNSET_VAR is not set/);
});

test('every problem is listed with its path, line and a fix; check exits 1', () => {
  const bad = writeConfig(`mcp:
  listen:
    port: "eighty"
  security:
    toolAccess:
      defaultPolicy: maybe
    rateLimitting:
      enabled: true
  servers:
    - name: Bad_Name
      command: x
    - name: both
      command: x
      url: http://127.0.0.1:1/mcp
`);
  try {
    loadConfigFile(bad.path);
    assert.fail('should not load');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const paths = e.problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['mcp.listen.port', 'mcp.security', 'mcp.security.toolAccess.defaultPolicy', 'mcp.servers.0.name', 'mcp.servers.1'].sort());
    for (const p of e.problems) assert.ok(p.fix.length > 5, `fix for ${p.path}`);
    const unknown = e.problems.find((p) => p.path === 'mcp.security')!;
    assert.match(unknown.message, /rateLimitting/);
    assert.equal(unknown.line, 7);
  }
  const r = spawnSync(NODE, [BIN, 'check', '--config', bad.path], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /mcp\.listen\.port/);
  assert.match(r.stdout, /fix: /);
});

test('per-server overrides: allowedTools replaces, deniedTools adds, scalars override', () => {
  const { servers } = loadConfigText(`mcp:
  security:
    toolAccess: { defaultPolicy: deny, allowedTools: ["a*"], deniedTools: ["shell.*"] }
    rateLimiting: { burstSize: 5 }
  servers:
    - { name: db, command: x, security: { toolAccess: { allowedTools: ["database.query"], deniedTools: ["database.drop"] } } }
    - { name: plain, command: y }
  skills:
    - { name: plain, security: { rateLimiting: { burstSize: 2 } } }
`);
  const db = servers.find((s) => s.name === 'db')!.effective;
  assert.deepEqual(db.toolAccess.allowedTools, ['database.query']);
  assert.deepEqual(db.toolAccess.deniedTools, ['shell.*', 'database.drop']);
  assert.equal(db.rateLimiting.burstSize, 5);
  const plain = servers.find((s) => s.name === 'plain')!.effective;
  assert.deepEqual(plain.toolAccess.allowedTools, ['a*']);
  assert.equal(plain.rateLimiting.burstSize, 2);
});

test('the loaded configuration is frozen', () => {
  const { config } = loadConfigText('mcp: {}');
  assert.throws(() => {
    (config.mcp.security.toolAccess as { defaultPolicy: string }).defaultPolicy = 'allow';
  }, TypeError);
});

test('mtls.enabled is enforced: run refuses a missing client certificate and a plain-http upstream, naming key and fix', () => {
  const cfg = writeConfig(`mcp:
  listen: { port: 0 }
  servers: [{ name: s, url: "http://127.0.0.1:1/mcp" }]
  security:
    mtls: { enabled: true, clientCertPath: /nonexistent/c.crt }
`);
  assert.deepEqual(findUnenforced(loadConfigFile(cfg.path).config, 'run'), []);
  const r = spawnSync(NODE, [BIN, 'run', '--config', cfg.path], { encoding: 'utf8', input: '', timeout: 30_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mcp\.security\.mtls\.clientCertPath: cannot read \/nonexistent\/c\.crt/);
  assert.match(r.stderr, /mcp\.security\.mtls\.clientKeyPath: mtls\.enabled needs a client certificate and key/);
  assert.match(r.stderr, /mcp\.servers\.0\.url: mtls is enabled for 's' but its URL is plain http/);
  assert.match(r.stderr, /fix: /);
});

test('the generated JSON Schema and config reference are up to date (npm run gen:config)', () => {
  assert.deepEqual(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')), JSON.parse(JSON.stringify(jsonSchema())));
  assert.equal(readFileSync(DOCS_PATH, 'utf8'), docs());
});

test('--help lists every command, and each command has its own help', () => {
  const top = execFileSync(NODE, [BIN, '--help'], { encoding: 'utf8' });
  for (const c of ['run', 'wrap', 'check', 'demo']) {
    assert.match(top, new RegExp(`\\b${c}\\b`));
    const own = execFileSync(NODE, [BIN, c, '--help'], { encoding: 'utf8' });
    assert.match(own, new RegExp(`Usage: portcullis ${c}`));
  }
});
