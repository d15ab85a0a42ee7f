import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeUri } from '../../src/policy/uri-normalize.ts';

describe('normalizeUri (RFC 3986 §6.2.2)', () => {
  it('lowercases the scheme and the host, not the userinfo or the path', () => {
    assert.equal(normalizeUri('HTTP://User@Example.COM:80/A/B?Q=1#F'), 'http://User@example.com:80/A/B?Q=1#F');
    assert.equal(normalizeUri('DEMO://resource/x'), 'demo://resource/x');
    assert.equal(normalizeUri('Mailto:Joe@Example.com'), 'mailto:Joe@Example.com');
  });

  it('decodes percent-encoded unreserved characters and uppercases the other triplets', () => {
    assert.equal(normalizeUri('demo://r/%61%7e%2D%2e%5F'), 'demo://r/a~-._');
    assert.equal(normalizeUri('demo://r/a%2fb%3a'), 'demo://r/a%2Fb%3A');
    assert.equal(normalizeUri('demo://r/%25'), 'demo://r/%25', 'an encoded % stays encoded (no double decoding)');
  });

  it('removes dot segments (RFC 3986 §5.2.4 examples), after decoding', () => {
    assert.equal(normalizeUri('demo://r/a/b/c/./../../g'), 'demo://r/a/g');
    assert.equal(normalizeUri('demo://r/mid/content=5/../6'), 'demo://r/mid/6');
    assert.equal(normalizeUri('demo://r/a/b/.'), 'demo://r/a/b/');
    assert.equal(normalizeUri('demo://r/a/..'), 'demo://r/');
    assert.equal(normalizeUri('demo://r/../../x'), 'demo://r/x');
    assert.equal(normalizeUri('demo://r/a/%2E%2E/b'), 'demo://r/b');
    assert.equal(normalizeUri('file:///data//x/./y'), 'file:///data//x/y');
    assert.equal(normalizeUri('demo://r/a?x=/../b#/../c'), 'demo://r/a?x=/../b#/../c', 'not in the query or fragment');
  });

  it('refuses what a parser may read differently: broken triplets, controls, edge spaces, backslashes', () => {
    for (const bad of ['demo://r/%', 'demo://r/%4', 'demo://r/%zz', 'demo://r/\tx', 'demo://r/x\n', 'demo://r/\u007f', ' demo://r', 'demo://r ', 'file:///a\\b']) {
      assert.equal(normalizeUri(bad), undefined, JSON.stringify(bad));
    }
  });

  it('leaves templates and globs readable', () => {
    assert.equal(normalizeUri('demo://resource/dynamic/text/{resourceId}'), 'demo://resource/dynamic/text/{resourceId}');
    assert.equal(normalizeUri('DEMO://Resource/*'), 'demo://resource/*');
  });
});
