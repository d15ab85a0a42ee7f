/**
 * Path arguments: segment-aware globs and normalization against traversal tricks from public
 * corpora (PayloadsAllTheThings "Directory Traversal", the OWASP path traversal cheat sheet,
 * CVE-2025-53110's prefix bypass). Every case runs the real constraint the gateway runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePathConstraint } from '../../src/policy/path-constraint.ts';
import { compilePathGlob, segmentsOf } from '../../src/policy/path-glob.ts';
import { normalizePath } from '../../src/policy/path-normalize.ts';

// The seed's file.read rule.
const seed = compilePathConstraint({
  allowedPaths: ['/data/public/*', '/data/shared/*'],
  forbiddenPaths: ['/etc/*', '/root/*', '*.key', '*.pem'],
});

const verdict = (check: ReturnType<typeof compilePathConstraint>, v: unknown) => {
  const r = check(v);
  return r.ok ? 'allow' : r.rule;
};

test('globs match whole segments: /data/public-evil is not under /data/public/* (CVE-2025-53110)', () => {
  const g = compilePathGlob('/data/public/*');
  assert.equal(g.matches(segmentsOf('/data/public/a.txt')), true);
  assert.equal(g.matches(segmentsOf('/data/public/sub/deep/a.txt')), true, 'an ancestor matches');
  assert.equal(g.matches(segmentsOf('/data/public-evil/a.txt')), false);
  assert.equal(g.matches(segmentsOf('/data/publicx')), false);
  assert.equal(g.matches(segmentsOf('/data/public')), false, '* needs a segment');
  assert.equal(g.matches(segmentsOf('/data')), false);
  assert.equal(compilePathGlob('/data/public/**').matches(segmentsOf('/data/public')), true);
  assert.equal(compilePathGlob('**/secrets/*').matches(segmentsOf('/a/b/secrets/x')), true);
  assert.equal(compilePathGlob('**/secrets/*').matches(segmentsOf('/a/b/secretsx/x')), false);
  assert.equal(compilePathGlob('/home/*/projects/**/out').matches(segmentsOf('/home/u/projects/a/b/out/f')), true);
  assert.equal(compilePathGlob('/home/*/projects/**/out').matches(segmentsOf('/home/u/v/projects/out')), false);
  assert.equal(compilePathGlob('*.pem').matches(segmentsOf('/x/y/server.pem')), true, 'no slash: any segment');
  assert.equal(compilePathGlob('*.pem').matches(segmentsOf('/x/server.pem.txt')), false);
  assert.equal(compilePathGlob('/d/?.txt').matches(segmentsOf('/d/é.txt')), true, '? is one code point');
});

test('no pattern/subject pair takes super-linear time (no regex, no backtracking blow-up)', () => {
  const g = compilePathGlob('/**/*a*a*a*a*a*a*a*b/**/*a*a*a*a*a*c');
  const long = '/' + Array.from({ length: 200 }, () => 'a'.repeat(200)).join('/');
  assert.equal(g.matches(segmentsOf(long)), false);
});

test('the seed policy: allowed, forbidden and outside paths', () => {
  assert.equal(verdict(seed, '/data/public/report.txt'), 'allow');
  assert.equal(verdict(seed, '/data/shared/team/notes.md'), 'allow');
  assert.equal(verdict(seed, '/data/public/server.key'), 'forbiddenPaths[2]: *.key');
  assert.equal(verdict(seed, '/data/public/certs/ca.PEM'), 'forbiddenPaths[3]: *.pem', 'forbidden patterns fold case');
  assert.equal(verdict(seed, '/etc/shadow'), 'forbiddenPaths[0]: /etc/*');
  assert.equal(verdict(seed, '/etc/ssh/ssh_host_rsa_key'), 'forbiddenPaths[0]: /etc/*', 'a forbidden directory covers its subtree');
  assert.equal(verdict(seed, '/ETC/passwd'), 'forbiddenPaths[0]: /etc/*', 'case-folding file systems');
  assert.equal(verdict(seed, '/data/public-evil/x'), 'allowedPaths');
  assert.equal(verdict(seed, '/data/public'), 'allowedPaths');
  assert.equal(verdict(seed, '/DATA/PUBLIC/a.txt'), 'allowedPaths', 'allowed patterns compare exactly');
});

test('traversal tricks from public corpora are all refused', () => {
  const cases: [string, string][] = [
    ['/data/public/../../etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/../private/x', 'allowedPaths'],
    ['/data/public/./../../root/.ssh/id_rsa', 'forbiddenPaths[1]: /root/*'],
    ['/data//public/../..//etc///passwd', 'forbiddenPaths[0]: /etc/*'],
    ['//etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/./etc/./passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/../../../../../../../../etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/..%2f..%2fetc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/%2e%2e/%2e%2e/etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/%252e%252e/%252e%252e/etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/%25252e%25252e/%25252e%25252e/etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/..%5c..%5cetc%5cpasswd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/..\\..\\etc\\passwd', 'forbiddenPaths[0]: /etc/*'],
    ['\\data\\public\\..\\..\\root\\x', 'forbiddenPaths[1]: /root/*'],
    ['/data/public/\uff0e\uff0e/\uff0e\uff0e/etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fetc\uff0fpasswd', 'forbiddenPaths[0]: /etc/*'],
    ['/data/public/a.k\u0435y', 'allow'], // Cyrillic "е": a different name, not a .key file
    ['/data/public/x.\uff4b\uff45\uff59', 'forbiddenPaths[2]: *.key'], // fullwidth "key" folds under NFKC
    ['file:///etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['file://localhost/data/public/../../etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['file:///data/public/%2e%2e/%2e%2e/etc/passwd', 'forbiddenPaths[0]: /etc/*'],
    ['FILE:///root/x', 'forbiddenPaths[1]: /root/*'],
  ];
  for (const [input, want] of cases) assert.equal(verdict(seed, input), want, input);
});

test('values the gateway cannot judge are refused, not guessed', () => {
  const refused = [
    '/data/public/x\u0000.txt', // NUL truncation
    '/data/public/%00/../x',
    '/data/public/a\nb',
    '/data/public/..%c0%af../etc/passwd', // overlong UTF-8 "/"
    '/data/public/%c0%ae%c0%ae/etc/passwd', // overlong UTF-8 "."
    'relative/path.txt', // no root: the server's working directory is unknown
    '../../etc/passwd',
    '~/.ssh/id_rsa', // no home
    '~root/.ssh/id_rsa',
    'file://attacker.example/share/x',
    'https://example.com/data/public/x',
    '',
    'x'.repeat(5000),
  ];
  for (const v of refused) assert.equal(verdict(seed, v), 'path', JSON.stringify(v.slice(0, 40)));
  for (const v of [42, null, { path: '/data/public/x' }, ['/data/public/x']]) assert.equal(verdict(seed, v), 'path');
});

test('relative paths resolve against root, ~ against home', () => {
  const c = compilePathConstraint({ root: '/data', home: '/home/agent', allowedPaths: ['public/**', '~/notes/*'], forbiddenPaths: ['**/.ssh'] });
  assert.equal(verdict(c, 'public/a.txt'), 'allow');
  assert.equal(verdict(c, './public/../public/a.txt'), 'allow');
  assert.equal(verdict(c, 'public/../../etc/passwd'), 'allowedPaths');
  assert.equal(verdict(c, '../data/public/x'), 'allow', 'climbs out and back in: the same file');
  assert.equal(verdict(c, '~/notes/today.md'), 'allow');
  assert.equal(verdict(c, '~/.ssh/id_rsa'), 'forbiddenPaths[0]: **/.ssh');
  assert.equal(verdict(c, '~/notes/../.ssh/config'), 'forbiddenPaths[0]: **/.ssh');
});

test('every decoding a server could apply is checked: all readings must pass', () => {
  const n = normalizePath('/data/public/%2e%2e/x');
  assert.ok(n.ok);
  assert.deepEqual(n.variants.sort(), ['/data/public/%2e%2e/x', '/data/x'].sort());
  // A legitimate percent sign stays allowed when both readings are inside the allowed tree.
  assert.equal(verdict(seed, '/data/public/100%25.txt'), 'allow');
});
