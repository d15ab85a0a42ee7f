/**
 * The policy tooling as operators run it: `portcullis policy test FILE` (exit 0 when every case
 * passes, 1 when one fails, 2 for a broken file), `portcullis policy explain` (the decision and
 * every rule that matched), and `portcullis check` reporting a bad CEL expression with its
 * position. Real CLI processes on real files, including the shipped example.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, NODE, ROOT, tempDir, writeConfig } from '../helpers/gateway-process.ts';

const SEED_SHARED = join(ROOT, '..', 'shared', 'fixtures', 'openclaw-mcp-security.yaml');
const SEED = existsSync(SEED_SHARED) ? SEED_SHARED : join(ROOT, 'test', 'fixtures', 'config', 'openclaw-mcp-security.yaml');
const env = { ...process.env, AUDIT_WEBHOOK_TOKEN: 'test-token' };
const cli = (...args: string[]) => spawnSync(NODE, [BIN, ...args], { encoding: 'utf8', env });

test('the shipped example cases pass against the demo policy', () => {
  const r = cli('policy', 'test', join(ROOT, 'examples', 'demo-policy.test.yaml'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /11 passed, 0 failed/);
});

test('policy test on the seed policy: paths, SQL, quotas; a wrong expectation fails the run', () => {
  const dir = tempDir();
  const file = join(dir, 'seed.test.yaml');
  const cases = (extra: string) => `config: ${JSON.stringify(SEED)}
cases:
  - { name: public file, tool: file.read, args: { path: /data/public/a.txt }, expect: allow, rule: "allowedTools[2]" }
  - { name: traversal, tool: file.read, args: { path: "/data/public/../../etc/shadow" }, expect: deny, rule: "allowedTools[2].forbiddenPaths[0]", argument: path }
  - { name: prefix trick, tool: file.read, args: { path: /data/public-evil/x }, expect: deny, rule: "allowedTools[2].allowedPaths" }
  - { name: users table, tool: database.read, args: { query: "select * from orders join users using (id)", database: reporting }, expect: deny, rule: "allowedTools[1].forbiddenTables[0]", argument: query }
  - { name: orders, tool: database.read, args: { query: "select * from orders", database: analytics }, expect: allow }
  - { name: 50 events a day, tool: calendar.create, as: alice, repeat: 50, expect: allow }
  - { name: the 51st is refused, tool: calendar.create, as: alice, expect: deny, rule: "allowedTools[0].conditions[0]" }
  - { name: bob has his own quota, tool: calendar.create, as: bob, expect: allow }
  - { name: shell is denied, tool: shell.run, expect: deny, rule: "deniedTools[1]" }
${extra}`;
  writeFileSync(file, cases(''));
  const ok = cli('policy', 'test', file);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /9 passed, 0 failed/);

  writeFileSync(file, cases('  - { name: wrong on purpose, tool: file.read, args: { path: /etc/passwd }, expect: allow }'));
  const bad = cli('policy', 'test', file);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /FAIL {2}wrong on purpose/);
  assert.match(bad.stdout, /expected allow, got deny by allowedTools\[2\]\.forbiddenPaths\[0\]: \/etc\/\*/);
  assert.match(bad.stdout, /9 passed, 1 failed/);

  writeFileSync(file, 'config: x.yaml\ncases: [{ name: n, tool: t, expect: maybe }]\n');
  const broken = cli('policy', 'test', file);
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /cases\.0\.expect/);
});

test('policy explain prints the decision and every rule that matched, in order', () => {
  const allow = cli('policy', 'explain', '--config', SEED, '--tool', 'file.read', '--args', '{"path":"/data/shared/q3.txt"}', '--as', 'alice');
  assert.equal(allow.status, 0, allow.stderr);
  assert.match(allow.stdout, /as 'alice'/);
  assert.match(allow.stdout, /1\. allow {2}allowedTools\[2\]: file\.read/);
  assert.match(allow.stdout, /2\. allow {2}allowedTools\[2\]\.paths {2}\[argument: path\]/);
  assert.match(allow.stdout, /decision: ALLOW/);

  const deny = cli('policy', 'explain', '--config', SEED, '--tool', 'database.read', '--args', '{"query":"with c as (select * from credentials) select * from c","database":"reporting"}', '--json');
  assert.equal(deny.status, 1);
  const out = JSON.parse(deny.stdout) as { decision: string; rule: string; argument: string; steps: { rule: string }[] };
  assert.equal(out.decision, 'deny');
  assert.equal(out.rule, 'allowedTools[1].forbiddenTables[1]: credentials');
  assert.equal(out.argument, 'query');
  assert.deepEqual(out.steps.map((s) => s.rule), ['allowedTools[1]: database.read', 'allowedTools[1].forbiddenTables[1]: credentials']);

  const denied = cli('policy', 'explain', '--config', SEED, '--tool', 'shell.exec');
  assert.equal(denied.status, 1);
  assert.match(denied.stdout, /decision: DENY by deniedTools\[1\]: shell\.\*/);
});

test('portcullis check reports a bad CEL expression with its YAML line and position in the expression', () => {
  const cfg = writeConfig(`mcp:
  security:
    toolAccess:
      allowedTools:
        - pattern: search
          when: 'principal.roles.exists(r, r == "admin") || args.limt <= 100 && frobnicate(args)'
`);
  const r = cli('check', '--config', cfg.path);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /:6 {2}mcp\.security\.toolAccess\.allowedTools\.0\.when: CEL: unknown function 'frobnicate' \(at line 1, column \d+\)/);
});
