import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob } from '../../src/policy/glob.ts';

describe('compileGlob', () => {
  it('matches literals exactly, whole string only', () => {
    const m = compileGlob('read_file');
    assert.equal(m('read_file'), true);
    assert.equal(m('read_file2'), false);
    assert.equal(m('xread_file'), false);
    assert.equal(m(''), false);
  });

  it('`*` matches any run, including empty, dots and slashes', () => {
    const m = compileGlob('shell.*');
    assert.equal(m('shell.'), true);
    assert.equal(m('shell.exec'), true);
    assert.equal(m('shell.a/b.c'), true);
    assert.equal(m('shellx'), false);
    assert.equal(compileGlob('*')(''), true);
    assert.equal(compileGlob('*')('any/thing.at all'), true);
    assert.equal(compileGlob('a*b*c')('a--b--c'), true);
    assert.equal(compileGlob('a*b*c')('a--c--b'), false);
    assert.equal(compileGlob('*_file')('fs__read_file'), true);
    assert.equal(compileGlob('a**b')('ab'), true);
  });

  it('`?` matches exactly one character (a code point)', () => {
    const m = compileGlob('f?o');
    assert.equal(m('foo'), true);
    assert.equal(m('fo'), false);
    assert.equal(m('fooo'), false);
    assert.equal(m('f😀o'), true, 'an astral character counts once');
    assert.equal(compileGlob('??')('😀'), false);
    assert.equal(compileGlob('?*')(''), false);
    assert.equal(compileGlob('?*')('x'), true);
  });

  it('treats regex metacharacters as literals', () => {
    assert.equal(compileGlob('a.b')('a.b'), true);
    assert.equal(compileGlob('a.b')('axb'), false);
    assert.equal(compileGlob('(x)+[y]^$|\\')('(x)+[y]^$|\\'), true);
    assert.equal(compileGlob('a+')('aa'), false);
  });

  it('a `*` in the subject is not confused with the wildcard', () => {
    assert.equal(compileGlob('a*c')('a*c'), true);
    assert.equal(compileGlob('a*c')('a*x'), false);
  });

  it('finishes on patterns that make backtracking regex engines explode', () => {
    const subject = 'a'.repeat(20_000);
    assert.equal(compileGlob('*a*a*a*a*a*a*a*a*b')(subject), false);
    assert.equal(compileGlob('*a*a*a*a*a*a*a*a*a')(subject), true);
    assert.equal(compileGlob('?*?*?*?*b')(subject), false);
  });
});
