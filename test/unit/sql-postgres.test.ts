/**
 * PostgreSQL's own reading (libpg-query): statements, every table reference form, functions,
 * writes wherever they sit, and statements that run code from strings.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadPostgres, postgresFacts, postgresPieces } from '../../src/policy/sql-postgres.ts';

let pg: Awaited<ReturnType<typeof loadPostgres>>;
before(async () => {
  pg = await loadPostgres();
});
const tables = (sql: string) => postgresFacts(pg, sql).tables.map((t) => (t.qualifier ? `${t.qualifier}.${t.table}` : t.table));

test("a backslash is an ordinary character in a standard string: '\\' ends the string", () => {
  assert.equal(postgresFacts(pg, "SELECT '\\' AS x; COMMIT; DROP TABLE orders; --'").statements, 3);
  assert.equal(postgresFacts(pg, "SELECT E'\\'; COMMIT; DROP TABLE orders; --'").statements, 1, "in E'' it escapes the quote");
  const sql = "select 'é😀', $t$a;b$t$, E'\\'', \"ü;\" /* ☃; */ from t -- ;";
  const pieces = postgresPieces(pg, sql).filter((p) => p.kind !== 'code').map((p) => `${p.kind}:${sql.slice(p.start, p.end)}`);
  assert.deepEqual(pieces, ["string:'é😀'", 'string:$t$a;b$t$', "string:E'\\''", 'identifier:"ü;"', 'comment:/* ☃; */', 'comment:-- ;'], 'byte offsets mapped back to characters');
});

test('every table reference form is a RangeVar', () => {
  assert.deepEqual(tables('select * from only users'), ['users']);
  assert.deepEqual(tables('select * from users*'), ['users']);
  assert.deepEqual(tables('table users'), ['users']);
  assert.deepEqual(tables('select * from only public.users'), ['public.users']);
  assert.deepEqual(tables('select * from "Public"."Users"'), ['Public.Users']);
  assert.deepEqual(tables('select * from db.public.users'), ['db.public.users']);
  assert.deepEqual(tables('select * from orders o, lateral (select * from users u where u.id = o.id) x').sort(), ['orders', 'users']);
  assert.deepEqual(tables('select * from users tablesample system (10)'), ['users']);
  assert.deepEqual(tables('copy users to stdout'), ['users']);
  assert.deepEqual(tables('copy (select * from users) to stdout'), ['users']);
  assert.deepEqual(tables('drop table public.users, credentials').sort(), ['credentials', 'public.users']);
  assert.deepEqual(tables('prepare p as select * from users'), ['users']);
  assert.deepEqual(tables('explain analyze select * from users'), ['users']);
  assert.deepEqual(tables('with x as (select * from users) select * from x').sort(), ['users', 'x']);
  assert.deepEqual(postgresFacts(pg, 'select u.password from orders u').qualifiers, ['u']);
});

test('functions, writes anywhere, and statements that run code from strings', () => {
  assert.deepEqual(postgresFacts(pg, "select pg_catalog.ts_stat('select 1'), upper('x')").functions.sort(), ['pg_catalog.ts_stat', 'upper']);
  assert.deepEqual(postgresFacts(pg, 'with d as (delete from orders returning *) select * from d').writes, ['DELETE']);
  assert.deepEqual(postgresFacts(pg, 'select * from orders for update').writes, ['SELECT ... FOR UPDATE/SHARE']);
  assert.deepEqual(postgresFacts(pg, 'select * into t2 from orders').writes, ['SELECT ... INTO']);
  assert.equal(postgresFacts(pg, 'values (1)').kind, 'SelectStmt');
  assert.equal(postgresFacts(pg, 'explain analyze delete from orders').kind, 'ExplainStmt');
  assert.match(postgresFacts(pg, 'DO $$ begin perform 1; end $$').runsCode ?? '', /DO block/);
  assert.match(postgresFacts(pg, 'create function f() returns int as $$ select 1 $$ language sql').runsCode ?? '', /CREATE FUNCTION/);
  assert.match(postgresFacts(pg, "copy orders to '/tmp/x'").runsCode ?? '', /server file/);
  assert.match(postgresFacts(pg, "copy orders from program 'id'").runsCode ?? '', /program/);
  assert.equal(postgresFacts(pg, 'copy orders to stdout').runsCode, undefined);
  assert.throws(() => postgresFacts(pg, 'select * from'), /syntax error/);
});
