/**
 * The boundary lexer and each dialect's readings: where statements, strings, identifiers and
 * comments end. SQLite's rules are checked against SQLite itself (prepare, never step).
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SqlLexError, type Piece } from '../../src/policy/sql-lexer.ts';
import { ambiguousCode, lexDialect, maskedSql, statementCount } from '../../src/policy/sql-lexing.ts';
import { sqliteFirstSelectEnd } from '../../src/policy/sql-sqlite-engine.ts';

const show = (sql: string, pieces: Piece[]) => pieces.filter((p) => p.kind !== 'code').map((p) => `${p.kind}:${sql.slice(p.start, p.end)}`);

test('SQLite: quotes double, backslashes are plain, brackets have no escape, comments may run to the end', () => {
  assert.deepEqual(show("select '\\' ; x", lexDialect('sqlite', "select '\\' ; x")), ["string:'\\'", 'semicolon:;']);
  assert.deepEqual(show(`select 'a''b', "c""d", \`e\`\`f\`, [g]`, lexDialect('sqlite', `select 'a''b', "c""d", \`e\`\`f\`, [g]`)), [
    "string:'a''b'",
    'identifier:"c""d"',
    'identifier:`e``f`',
    'identifier:[g]',
  ]);
  assert.deepEqual(show('select 1 /* open', lexDialect('sqlite', 'select 1 /* open')), ['comment:/* open']);
  assert.deepEqual(show('select 1 /*', lexDialect('sqlite', 'select 1 /*')), [], 'a final `/*` is two operators to SQLite');
  assert.deepEqual(show("select $a(';') as x", lexDialect('sqlite', "select $a(';') as x")), [], "a Tcl variable's (...) swallows quotes and semicolons");
  assert.deepEqual(show("select a$b(';') as x", lexDialect('sqlite', "select a$b(';') as x")), ["string:';'"], '`$` inside a name is a name character');
  assert.throws(() => lexDialect('sqlite', "select 'open"), SqlLexError);
});

test("SQLite agrees with the lexer on where the first SELECT ends", () => {
  const db = new DatabaseSync(':memory:');
  db.exec('create table orders(id, total); create table users(id, password)');
  const corpus = [
    "select '\\' as x; select * from users; --'",
    "select 'a;b' as x; select 2",
    'select 1 as "a;b" from orders; select 2',
    'select 1 as [a;b] from orders; select 2',
    'select 1 as `a;b` from orders; select 2',
    'select 1 -- ; comment\n; select 2',
    'select 1 /* ; */ ; select 2',
    "select x'41'' ; select 2; --'",
    "select 'it''s; fine' as x",
    'select 1 /* unterminated ; still a comment',
    "select 1; select '\\';",
  ];
  for (const sql of corpus) {
    const pieces = lexDialect('sqlite', sql);
    const semi = pieces.find((p) => p.kind === 'semicolon');
    const mine = semi ? semi.end : sql.length;
    assert.equal(db.prepare(sql).sourceSQL.length, mine, `plain prepare: ${sql}`);
    const engine = sqliteFirstSelectEnd(sql);
    assert.ok('end' in engine, sql);
    assert.equal(engine.end, mine, `inside the probe view: ${sql}`);
  }
  // Names SQLite cannot resolve: the probe view alone (it does not resolve them).
  for (const sql of ["select a$b(';') as x; select 2", "select nosuch(';', 'a''b') from nowhere; select 2"]) {
    const semi = lexDialect('sqlite', sql).find((p) => p.kind === 'semicolon');
    assert.deepEqual(sqliteFirstSelectEnd(sql), { end: semi!.end }, sql);
  }
  db.close();
});

test('MySQL: `--` needs a space after it; backslashes and ANSI quotes must not matter', () => {
  assert.deepEqual(show('select 1 --1\n', lexDialect('mysql', 'select 1 --1\n')), []);
  assert.deepEqual(show('select 1 -- c\n', lexDialect('mysql', 'select 1 -- c\n')), ['comment:-- c']);
  assert.deepEqual(show('select 1 --\tc', lexDialect('mysql', 'select 1 --\tc')), ['comment:--\tc']);
  assert.deepEqual(show('select 1 # c', lexDialect('mysql', 'select 1 # c')), ['comment:# c']);
  assert.deepEqual(show("select 'a\\\\' x", lexDialect('mysql', "select 'a\\\\' x")), ["string:'a\\\\'"], 'an escaped backslash ends the same way with or without escapes');
  assert.throws(() => lexDialect('mysql', "select 'a\\'b'"), /depending on server settings/);
  assert.throws(() => lexDialect('mysql', 'select "a\\"b"'), /depending on server settings/);
  assert.throws(() => lexDialect('mysql', 'select 1 /* open'), SqlLexError);
  assert.match(ambiguousCode('mysql', 'select 1 --1', lexDialect('mysql', 'select 1 --1')) ?? '', /'--'/);
});

test('T-SQL brackets double, nested comments and dollar quotes where the dialect has them', () => {
  assert.deepEqual(show('select [a]]b;] from t', lexDialect('transactsql', 'select [a]]b;] from t')), ['identifier:[a]]b;]']);
  assert.throws(() => lexDialect('transactsql', 'select 1 /* a /* b */ c */'), /depending on server settings/, 'nested or not decides where it ends');
  assert.deepEqual(show('select $$a;b$$', lexDialect('snowflake', 'select $$a;b$$')), ['string:$$a;b$$']);
  assert.deepEqual(show('select $t$a;b$t$', lexDialect('redshift', 'select $t$a;b$t$')), ['string:$t$a;b$t$']);
});

test('statements count what is between semicolons, not comments or empty ones', () => {
  const count = (sql: string) => statementCount(sql, lexDialect('sqlite', sql));
  assert.equal(count('select 1;'), 1);
  assert.equal(count('select 1;; -- x\n;'), 1);
  assert.equal(count('select 1; select 2'), 2);
  assert.equal(count('  -- only a comment'), 0);
  assert.equal(count(''), 0);
});

test('the masked text blanks strings a lexer could misread and drops comments', () => {
  const sql = "select 'plain', 'it''s', \"id\", 'a\\b' /* c */ from t -- end";
  assert.equal(maskedSql(sql, lexDialect('sqlite', sql)), "select 'plain', 's0', \"id\", 's1'   from t  ");
  assert.equal(maskedSql('select 1 from t', lexDialect('sqlite', 'select 1 from t')), undefined, 'nothing to compare');
});
