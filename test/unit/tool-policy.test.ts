import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NamePolicy, ToolPolicy } from '../../src/policy/tool-policy.ts';
import type { NameKind } from '../../src/policy/name-match.ts';

/** Two servers, so names are namespaced (`fs__read_file`); `one` is a gateway with one server. */
const SERVERS = ['fs', 'other'];
const on = (server: string, name: string, kind: NameKind = 'tool') => ({ kind, server, name, servers: SERVERS });
const one = (name: string, kind: NameKind = 'tool') => ({ kind, server: 'srv', name, servers: ['srv'] });

describe('ToolPolicy', () => {
  const rule = { pattern: 'fs__*', allowedPaths: ['/tmp/*'] };
  const policy = new ToolPolicy({
    defaultPolicy: 'deny',
    allowedTools: ['calendar.*', rule, '*'],
    deniedTools: ['nothing', 'never', 'shell.*', 'fs__delete*'],
  });

  it('deny wins over an allow that also matches', () => {
    assert.deepEqual(policy.decide(one('shell.exec')), { allowed: false, rule: 'deniedTools[2]: shell.*' });
    assert.deepEqual(policy.decide(on('fs', 'delete_file')), { allowed: false, rule: 'deniedTools[3]: fs__delete*' });
  });

  it('allows by the first matching allow entry and returns it', () => {
    assert.deepEqual(policy.decide(one('calendar.list')), { allowed: true, rule: 'allowedTools[0]: calendar.*', matchedRule: 'calendar.*' });
    const d = policy.decide(on('fs', 'read_file'));
    assert.equal(d.allowed, true);
    assert.equal(d.rule, 'allowedTools[1]: fs__*');
    assert.equal(d.matchedRule, rule);
  });

  it('a deny pattern matching any spelling of the name counts', () => {
    const p = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['read_file'] });
    assert.equal(p.decide(on('fs', 'read_file')).allowed, false);
    const exposed = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['fs__read_file'] });
    assert.equal(exposed.decide(on('fs', 'read_file')).allowed, false);
    assert.equal(p.decide(on('fs', 'write_file')).allowed, true);
  });

  it('falls back to the default policy', () => {
    const deny = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['calendar.*'], deniedTools: [] });
    assert.deepEqual(deny.decide(one('mail.send')), { allowed: false, rule: 'defaultPolicy: deny' });
    const allow = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['shell.*'] });
    assert.deepEqual(allow.decide(one('mail.send')), { allowed: true, rule: 'defaultPolicy: allow' });
    assert.equal(allow.decide(one('shell.run')).allowed, false);
  });

  it('refuses something with no name even when the default is allow', () => {
    const allow = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: ['*'], deniedTools: [] });
    assert.equal(allow.decide(one('')).allowed, false);
  });
});

describe('NamePolicy', () => {
  it('has the same semantics for plain pattern lists', () => {
    const p = new NamePolicy('resource', { defaultPolicy: 'deny', allowed: ['file:///tmp/*', '*'], denied: ['file:///etc/*'] });
    assert.deepEqual(p.decide(one('file:///etc/passwd', 'resource')), { allowed: false, rule: 'denied[0]: file:///etc/*' });
    assert.deepEqual(p.decide(one('file:///tmp/x', 'resource')), { allowed: true, rule: 'allowed[0]: file:///tmp/*' });
    assert.deepEqual(p.decide(one('other:x', 'resource')), { allowed: true, rule: 'allowed[1]: *' });
    const strict = new NamePolicy('prompt', { defaultPolicy: 'deny', allowed: ['greet'], denied: [] });
    assert.deepEqual(strict.decide(on('fs', 'summarize', 'prompt')), { allowed: false, rule: 'defaultPolicy: deny' });
    assert.equal(strict.decide(on('fs', 'greet', 'prompt')).matchedRule, undefined);
  });
});

describe('names across several servers (a server chooses its own names)', () => {
  const servers = ['files', 'evil'];
  const at = (server: string, name: string, kind: NameKind = 'tool') => ({ kind, server, name, servers });

  it('an allow pattern with a server prefix matches only that server\'s tools', () => {
    const p = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['files__read_*'], deniedTools: [] });
    assert.equal(p.decide(at('files', 'read_file')).allowed, true);
    // evil's own tool `files__read_all_secrets` (exposed `evil__files__read_all_secrets`) is evil's.
    assert.deepEqual(p.decide(at('evil', 'files__read_all_secrets')), { allowed: false, rule: 'defaultPolicy: deny' });
    assert.equal(p.decide(at('evil', 'read_file')).allowed, false);
  });

  it('a glob prefix that matches configured servers is a server prefix too; others are own names', () => {
    const p = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['*__echo', 'fil*__list_*', 'nosuch__x'], deniedTools: [] });
    assert.equal(p.decide(at('evil', 'echo')).allowed, true);
    assert.equal(p.decide(at('evil', 'files__echo')).allowed, false);
    assert.equal(p.decide(at('files', 'list_dir')).allowed, true);
    assert.equal(p.decide(at('evil', 'files__list_dir')).allowed, false);
    // `nosuch` is no server: the pattern is an own name, whoever offers it.
    assert.equal(p.decide(at('evil', 'nosuch__x')).allowed, true);
    const plain = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['read_*'], deniedTools: [] });
    assert.equal(plain.decide(at('files', 'read_file')).allowed, true);
    assert.equal(plain.decide(at('evil', 'files__read_all')).allowed, false, 'an unprefixed pattern sees the own name only');
  });

  it('deny patterns match every spelling, so a deny cannot be dodged by a name that embeds another', () => {
    const p = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['files__*'] });
    assert.equal(p.decide(at('files', 'read_file')).allowed, false);
    assert.equal(p.decide(at('evil', 'files__read_all_secrets')).allowed, false);
    assert.equal(p.decide(at('evil', 'echo')).allowed, true);
  });

  it('prompts and resources the same way (`+` for URIs)', () => {
    const prompts = new NamePolicy('prompt', { defaultPolicy: 'deny', allowed: ['files__summary'], denied: [] });
    assert.equal(prompts.decide(at('files', 'summary', 'prompt')).allowed, true);
    assert.equal(prompts.decide(at('evil', 'files__summary', 'prompt')).allowed, false);
    const res = new NamePolicy('resource', { defaultPolicy: 'deny', allowed: ['files+file:///data/*'], denied: [] });
    assert.equal(res.decide(at('files', 'file:///data/a', 'resource')).allowed, true);
    assert.equal(res.decide(at('evil', 'files+file:///data/a', 'resource')).allowed, false);
  });

  it('with one server there is no prefix: patterns see the name as it is', () => {
    const p = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['files__read_*'], deniedTools: [] });
    assert.equal(p.decide(one('files__read_x')).allowed, true);
  });
});

describe('deny is case-insensitive and NFKC-folded; allow is exact', () => {
  const p = new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['*delete*'] });

  it('case, compatibility forms and ß/ı folding do not dodge a deny', () => {
    for (const name of ['DeleteRepository', 'DELETE_ALL', 'ｄｅｌｅｔｅ_me', 'ＤＥＬＥＴＥ', 'soft_Delete']) assert.equal(p.decide(one(name)).allowed, false, name);
    assert.equal(new ToolPolicy({ defaultPolicy: 'allow', allowedTools: [], deniedTools: ['strasse*'] }).decide(one('STRAßE_map')).allowed, false);
    assert.equal(p.decide(one('read_notes')).allowed, true);
  });

  it('allow rules grant exactly the spelling they name', () => {
    const a = new ToolPolicy({ defaultPolicy: 'deny', allowedTools: ['read_notes'], deniedTools: [] });
    assert.equal(a.decide(one('read_notes')).allowed, true);
    assert.equal(a.decide(one('Read_Notes')).allowed, false);
    assert.equal(a.decide(one('ｒｅａｄ_notes')).allowed, false);
  });

  it('prompt and resource deny lists fold the same way', () => {
    const r = new NamePolicy('resource', { defaultPolicy: 'allow', allowed: [], denied: ['demo://resource/static/*'] });
    assert.equal(r.decide(one('demo://RESOURCE/Static/x', 'resource')).allowed, false);
    const q = new NamePolicy('prompt', { defaultPolicy: 'allow', allowed: [], denied: ['admin-*'] });
    assert.equal(q.decide(one('Admin-Reset', 'prompt')).allowed, false);
  });
});

describe('resource URIs are normalized before matching (RFC 3986)', () => {
  const denied = 'demo://resource/static/document/architecture.md';
  const r = new NamePolicy('resource', { defaultPolicy: 'allow', allowed: [], denied: [denied] });

  it('scheme and host case, dot segments and percent-encoded unreserved characters do not dodge a deny', () => {
    for (const uri of [
      'DEMO://resource/static/document/architecture.md',
      'demo://RESOURCE/static/document/architecture.md',
      'demo://resource/static/document/./architecture.md',
      'demo://resource/static/x/../document/architecture.md',
      'demo://resource/static/document/%2E/architecture.md',
      'demo://resource/static/document/%61rchitecture.md',
    ]) assert.equal(r.decide(one(uri, 'resource')).allowed, false, uri);
    assert.equal(r.decide(one('demo://resource/static/document/features.md', 'resource')).allowed, true);
  });

  it('a URI that cannot be normalized is refused when any deny rule could have meant it', () => {
    for (const uri of ['demo://resource/static/document/%zzarchitecture.md', 'demo://resource/x%', 'demo://resource/\tdynamic/text/1', ' demo://x', 'file:///data\\..\\secret']) {
      assert.deepEqual(r.decide(one(uri, 'resource')), { allowed: false, rule: 'denied: the URI cannot be normalized (RFC 3986)' }, JSON.stringify(uri));
    }
    const open = new NamePolicy('resource', { defaultPolicy: 'allow', allowed: [], denied: [] });
    assert.equal(open.decide(one('demo://x/%zz', 'resource')).allowed, true, 'nothing to protect: the default applies');
    const allowOnly = new NamePolicy('resource', { defaultPolicy: 'deny', allowed: ['demo://*'], denied: [] });
    assert.equal(allowOnly.decide(one('demo://x/%zz', 'resource')).allowed, false, 'it matches no allow pattern');
  });

  it('allow patterns meet the normal form too (scheme case is not a different resource)', () => {
    const a = new NamePolicy('resource', { defaultPolicy: 'deny', allowed: ['demo://resource/static/*'], denied: [] });
    assert.equal(a.decide(one('DEMO://resource/static/document/x.md', 'resource')).allowed, true);
    assert.equal(a.decide(one('demo://resource/static/../dynamic/text/1', 'resource')).allowed, false);
    assert.equal(a.decide(one('demo://resource/static/%2e%2e/dynamic/text/1', 'resource')).allowed, false);
  });

  it('template values are the server\'s: a literal deny does not cover other spellings of the same id, a template-wide deny does', () => {
    const literal = new NamePolicy('resource', { defaultPolicy: 'allow', allowed: [], denied: ['demo://resource/dynamic/text/1'] });
    assert.equal(literal.decide(one('demo://resource/dynamic/text/01', 'resource')).allowed, true);
    const wide = new NamePolicy('resource', { defaultPolicy: 'allow', allowed: [], denied: ['demo://resource/dynamic/text/*'] });
    for (const id of ['1', '01', '+1', '1.0']) assert.equal(wide.decide(one(`demo://resource/dynamic/text/${id}`, 'resource')).allowed, false, id);
  });
});
