/** `inspection.customRules`: checked at load (RE2 only, unique ids), added per server, scoped by direction and tool. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ConfigError, loadConfigText } from '../../src/config/load.ts';
import { inspectLeaves } from '../../src/inspect/inspect-strings.ts';
import { scanCustom } from '../../src/inspect/custom-rules.ts';
import { collectLeaves } from '../../src/inspect/string-leaves.ts';
import type { NameRef } from '../../src/policy/name-match.ts';

const problemsOf = (yaml: string) => {
  try {
    loadConfigText(yaml);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message} | ${p.fix}`);
  }
  return [];
};

test('a pattern RE2 cannot take (backreference, lookaround, broken syntax) or a repeated id is a problem naming the key', () => {
  const problems = problemsOf(`
mcp:
  security:
    inspection:
      customRules:
        - {id: a, pattern: '(x)\\1', severity: high}
        - {id: b, pattern: 'foo(?=bar)', severity: high}
        - {id: c, pattern: '[a-', severity: low}
        - {id: c, pattern: 'ok', severity: low}
`);
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems[0]!, /^mcp\.security\.inspection\.customRules\.0\.pattern: not a valid RE2 pattern.*\| write it in RE2 syntax/);
  assert.match(problems[1]!, /customRules\.1\.pattern: not a valid RE2 pattern.*lookahead/);
  assert.match(problems[2]!, /customRules\.2\.pattern/);
  assert.match(problems[3]!, /customRules\.3\.id: duplicate custom rule id 'c'/);
  assert.deepEqual(problemsOf('mcp:\n  servers: [{name: s, command: x, security: {inspection: {customRules: [{id: z, pattern: "(?<=a)b", severity: low}]}}}]'), [
    'mcp.servers.0.security.inspection.customRules.0.pattern: not a valid RE2 pattern: invalid perl operator: (?<= | write it in RE2 syntax (https://github.com/google/re2/wiki/Syntax): no backreferences (\\1), no lookahead or lookbehind ((?=, (?!, (?<=, (?<!); use (?i) for case-insensitive',
  ]);
});

test("a server's rules are added to the global ones; scoped by direction and tool (any spelling, case-folded)", async () => {
  const loaded = loadConfigText(`
mcp:
  servers:
    - {name: files, command: x, security: {inspection: {customRules: [{id: own, pattern: 'OWN-[0-9]+', severity: low, action: redact}]}}}
    - {name: other, command: x}
  security:
    inspection:
      customRules:
        - {id: codename, pattern: 'FALCON', severity: high, appliesTo: arguments, tools: ['write_*']}
`);
  const files = loaded.servers[0]!.effective.inspection;
  assert.deepEqual(files.customRules.map((r) => r.id), ['codename', 'own']);
  assert.deepEqual(loaded.servers[1]!.effective.inspection.customRules.map((r) => r.id), ['codename']);
  const tool = (name: string): NameRef => ({ kind: 'tool', server: 'files', name, servers: ['files', 'other'] });
  const ids = (text: string, dir: 'argument' | 'result', t?: NameRef) => scanCustom(files.customRules, text, '/x', dir, t).map((f) => f.rule);
  assert.deepEqual(ids('FALCON OWN-1', 'argument', tool('write_file')), ['custom.codename', 'custom.own']);
  assert.deepEqual(ids('FALCON OWN-1', 'argument', tool('WRITE_FILE')), ['custom.codename', 'custom.own']);
  assert.deepEqual(ids('FALCON OWN-1', 'argument', tool('read_file')), ['custom.own']);
  assert.deepEqual(ids('FALCON OWN-1', 'result', tool('write_file')), ['custom.own']);
  assert.deepEqual(ids('FALCON', 'argument'), [], 'a rule with tools does not apply where no tool is named');

  // Through the inspection decision: the rule's severity picks the action when it names none; quarantine in arguments blocks.
  const args = await inspectLeaves(collectLeaves({ path: 'FALCON', note: 'see OWN-12 and OWN-3' }, '/arguments'), files, 'argument', undefined, tool('write_file'));
  assert.equal(args.block?.rule, 'custom.codename');
  const res = await inspectLeaves(collectLeaves({ content: [{ type: 'text', text: 'see OWN-12 and OWN-3' }] }), files, 'result', undefined, tool('write_file'));
  assert.deepEqual(res.changes, [{ keys: ['content', 0, 'text'], value: 'see [REDACTED:own] and [REDACTED:own]' }]);
  assert.ok(res.acted.every((a) => a.finding.excerpt === undefined), 'custom findings carry no excerpt');
});
