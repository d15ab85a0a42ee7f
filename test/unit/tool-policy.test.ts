import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NamePolicy, ToolPolicy } from '../../src/policy/tool-policy.ts';

describe('ToolPolicy', () => {
  const rule = { pattern: 'fs__*', allowedPaths: ['/tmp/*'] };
  const policy = new ToolPolicy({
    defaultPolicy: 'deny',
    allowedTools: ['calendar.*', rule, '*'],
    deniedTools: ['nothing', 'never', 'shell.*', 'fs__delete*'],
  });

  it('deny wins over an allow that also matches', () => {
    assert.deepEqual(policy.decide(['shell.exec']), { allowed: false, rule: 'deniedTools[2]: shell.*' });
    assert.deepEqual(policy.decide(['delete_file', 'fs__delete_file']), { allowed: false, rule: 'deniedTools[3]: fs__delete*' });
  });

  it('allows by the first matching allow entry and returns it', () => {
    assert.deepEqual(policy.decide(['calendar.list']), { allowed: true, rule: 'allowedTools[0]: calendar.*', matchedRule: 'calendar.*' });
    const d = policy.decide(['read_file', 'fs__read_file']);
    assert.equal(d.allowed, true);
    assert.equal(d.rule, 'allowedTools[1]: fs__*');
    assert.equal(d.matchedRule, rule);
  });

  it('a pattern matching any of the names counts', () => {
    const p = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['read_file'] });
    assert.equal(p.decide(['read_file', 'fs__read_file']).allowed, false);
    assert.equal(p.decide(['fs__read_file', 'read_file']).allowed, false);
    assert.equal(p.decide(['write_file', 'fs__write_file']).allowed, true);
  });

  it('falls back to the default policy', () => {
    const deny = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['calendar.*'], deniedTools: [] });
    assert.deepEqual(deny.decide(['mail.send']), { allowed: false, rule: 'defaultPolicy: deny' });
    const allow = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['shell.*'] });
    assert.deepEqual(allow.decide(['mail.send']), { allowed: true, rule: 'defaultPolicy: allow' });
    assert.equal(allow.decide(['shell.run']).allowed, false);
  });

  it('refuses something with no name even when the default is allow', () => {
    const allow = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: ['*'], deniedTools: [] });
    assert.equal(allow.decide([]).allowed, false);
  });
});

describe('NamePolicy', () => {
  it('has the same semantics for plain pattern lists', () => {
    const p = new NamePolicy({ defaultPolicy: 'deny', allowed: ['file:///tmp/*', '*'], denied: ['file:///etc/*'] });
    assert.deepEqual(p.decide(['file:///etc/passwd']), { allowed: false, rule: 'denied[0]: file:///etc/*' });
    assert.deepEqual(p.decide(['file:///tmp/x']), { allowed: true, rule: 'allowed[0]: file:///tmp/*' });
    assert.deepEqual(p.decide(['other']), { allowed: true, rule: 'allowed[1]: *' });
    const strict = new NamePolicy({ defaultPolicy: 'deny', allowed: ['greet'], denied: [] });
    assert.deepEqual(strict.decide(['summarize', 'srv__summarize']), { allowed: false, rule: 'defaultPolicy: deny' });
    assert.equal(strict.decide(['greet', 'srv__greet']).matchedRule, undefined);
  });
});
