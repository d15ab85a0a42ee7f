/**
 * SQL arguments through the real parser: forbidden tables however they are reached or spelled,
 * stacked statements, read-only mode, dangerous functions, databases, and fail-closed parsing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSqlConstraint } from '../../src/policy/sql-constraint.ts';

const seed = compileSqlConstraint({ allowedDatabases: ['reporting', 'analytics'], forbiddenTables: ['users', 'credentials'], defaultDatabase: 'reporting' });
const verdict = async (check: ReturnType<typeof compileSqlConstraint>, sql: unknown, db?: unknown) => {
  const r = await check(sql, db);
  return r.ok ? 'allow' : r.rule;
};

test('plain reads of allowed tables pass', async () => {
  assert.equal(await verdict(seed, 'SELECT id, total FROM orders WHERE total > 10 ORDER BY id LIMIT 5'), 'allow');
  assert.equal(await verdict(seed, 'select count(*) from orders o join items i on i.order_id = o.id'), 'allow');
  assert.equal(await verdict(seed, 'select * from orders -- a trailing comment'), 'allow');
  assert.equal(await verdict(seed, 'select * from orders;'), 'allow', 'one statement with its terminator');
});

test('forbidden tables are found through joins, subqueries, CTEs, set operations, qualification, quoting and case', async () => {
  const cases = [
    'select * from users',
    'SELECT * FROM USERS',
    'SeLeCt * FrOm UsErS',
    'select * from "users"',
    'select * from "Users"',
    'select * from public.users',
    'select * from "public"."users"',
    'select * from reporting.public.users',
    'select o.* from orders o join users u on u.id = o.user_id',
    'select * from orders o left join lateral (select * from credentials c where c.id = o.id) x on true',
    'select * from orders where user_id in (select id from users)',
    'select * from orders where exists (select 1 from credentials)',
    'select (select max(id) from users) as m',
    'with u as (select * from users) select * from u',
    'with recursive t(n) as (select 1 union all select n + 1 from t where n < 3) select * from t, credentials',
    'select id from orders union select id from users',
    'select id from orders intersect select id from credentials',
    'select * from orders, users',
    'select * from orders /* comment */ cross join users',
    'select users.id from orders',
  ];
  for (const q of cases) assert.match(await verdict(seed, q), /^forbiddenTables\[[01]\]/, q);
});

test('a qualified forbidden table names that schema only', async () => {
  const c = compileSqlConstraint({ forbiddenTables: ['audit.events', 'secret_*'] });
  assert.equal(await verdict(c, 'select * from audit.events'), 'forbiddenTables[0]: audit.events');
  assert.equal(await verdict(c, 'select * from db1.audit.events'), 'forbiddenTables[0]: audit.events');
  assert.equal(await verdict(c, 'select * from public.events'), 'allow');
  assert.equal(await verdict(c, 'select * from secret_keys'), 'forbiddenTables[1]: secret_*');
});

test('more than one statement is refused, including the stacked COMMIT escape', async () => {
  for (const q of ['select 1; drop table orders', 'COMMIT; DROP TABLE orders', 'select * from orders; select * from users', 'select 1;;select 2']) {
    assert.equal(await verdict(seed, q), 'sql', q);
  }
});

test('read-only mode: a single SELECT and nothing that writes', async () => {
  const ro = compileSqlConstraint({ readOnly: true });
  assert.equal(await verdict(ro, 'select * from orders'), 'allow');
  for (const q of [
    'insert into orders values (1)',
    'update orders set total = 0',
    'delete from orders',
    'drop table orders',
    'create table x (id int)',
    'truncate orders',
    'alter table orders add column y int',
    'grant all on orders to public',
    'select * into copy_of_orders from orders',
  ]) {
    assert.notEqual(await verdict(ro, q), 'allow', q);
  }
  assert.equal(await verdict(ro, 'delete from orders'), 'readOnly');
  assert.equal(await verdict(ro, 'select * into copy_of_orders from orders'), 'readOnly');
  // Postgres data-modifying CTE: the parser does not take it, so it is refused as unparseable.
  assert.equal(await verdict(ro, 'with d as (delete from orders returning *) select * from d'), 'sql');
});

test('functions that read files, run SQL from strings or reach other databases are refused', async () => {
  const pg = compileSqlConstraint({ readOnly: true });
  for (const q of [
    "select pg_read_file('/etc/passwd')",
    "select query_to_xml('select * from users', true, true, '')",
    "select * from dblink('host=10.0.0.1', 'select 1') as t(x int)",
    "select lo_import('/etc/passwd')",
    'select pg_sleep(100)',
    "select set_config('role', 'admin', false)",
  ]) {
    assert.ok(['forbiddenFunctions', 'sql'].includes(await verdict(pg, q)), q);
  }
  assert.equal(await verdict(pg, "select pg_read_file('/etc/passwd')"), 'forbiddenFunctions');
  assert.equal(await verdict(pg, "select query_to_xml('select * from users', true, true, '')"), 'forbiddenFunctions');
  assert.equal(await verdict(pg, 'select upper(name), count(*) from orders group by 1'), 'allow', 'ordinary functions pass');
  const sqlite = compileSqlConstraint({ readOnly: true, sqlDialect: 'sqlite' });
  assert.equal(await verdict(sqlite, "select load_extension('/tmp/evil.so')"), 'forbiddenFunctions');
  assert.equal(await verdict(sqlite, "select readfile('/etc/passwd')"), 'forbiddenFunctions');
  const extra = compileSqlConstraint({ forbiddenFunctions: ['my_udf'] });
  assert.equal(await verdict(extra, 'select my_udf(1)'), 'forbiddenFunctions');
});

test('MySQL executable comments are code to MySQL and a comment to the parser: refused', async () => {
  const my = compileSqlConstraint({ forbiddenTables: ['users'], sqlDialect: 'mysql' });
  assert.equal(await verdict(my, 'select 1 /*!50000 , (select password from users) */'), 'sql');
  assert.equal(await verdict(my, 'select * from `users`'), 'forbiddenTables[0]: users');
  assert.equal(await verdict(my, 'select * from orders'), 'allow');
});

test('anything that does not parse is refused (fail closed)', async () => {
  for (const q of ['garbage here', 'select * from', "select * from orders where name = 'unterminated", 'select * from orders\u0000', 'pragma table_info(users)', '', ' ']) {
    assert.equal(await verdict(seed, q), 'sql', JSON.stringify(q));
  }
  for (const v of [42, null, ['select 1'], { sql: 'select 1' }]) assert.equal(await verdict(seed, v), 'sql');
  assert.equal(await verdict(seed, 'select 1 from orders where x = ' + '1 + '.repeat(20000) + '1'), 'sql', 'over the length limit');
});

test('databases: the argument, qualified names and USE must be allowed; none named means defaultDatabase', async () => {
  assert.equal(await verdict(seed, 'select * from orders', 'analytics'), 'allow');
  assert.equal(await verdict(seed, 'select * from orders', 'production'), 'allowedDatabases');
  assert.equal(await verdict(seed, 'select * from orders'), 'allow', 'defaultDatabase reporting');
  assert.equal(await verdict(seed, 'select * from production.public.orders'), 'allowedDatabases');
  assert.equal(await verdict(seed, 'select * from analytics.public.orders'), 'allow');
  const noDefault = compileSqlConstraint({ allowedDatabases: ['reporting'] });
  assert.equal(await verdict(noDefault, 'select * from orders'), 'allowedDatabases', 'the server\'s database is unknown: refused');
  const my = compileSqlConstraint({ allowedDatabases: ['analytics'], sqlDialect: 'mysql' });
  assert.equal(await verdict(my, 'select * from analytics.orders'), 'allow');
  assert.equal(await verdict(my, 'select * from mysql.user'), 'allowedDatabases');
  assert.equal(await verdict(my, 'use analytics'), 'allow');
  assert.equal(await verdict(my, 'use mysql'), 'allowedDatabases');
  const lite = compileSqlConstraint({ allowedDatabases: ['main'], defaultDatabase: 'main', sqlDialect: 'sqlite' });
  assert.equal(await verdict(lite, 'select * from main.orders'), 'allow');
  assert.equal(await verdict(lite, 'select * from other.orders'), 'allowedDatabases', 'an ATTACHed database');
  assert.equal(await verdict(lite, "attach database '/tmp/x.db' as other"), 'allowedDatabases');
});

// The issue "Close the bypasses", items 1 and 2: the database's lexing decides.

const pgRo = compileSqlConstraint({ sqlDialect: 'postgresql', readOnly: true, forbiddenTables: ['users', 'credentials'] });
const liteRo = compileSqlConstraint({ sqlDialect: 'sqlite', readOnly: true, forbiddenTables: ['users', 'credentials'] });
const myRo = compileSqlConstraint({ sqlDialect: 'mysql', readOnly: true, forbiddenTables: ['users', 'credentials'] });

test("'\\' is a backslash to PostgreSQL and SQLite and an escaped quote to the parser: the stacked statements behind it are refused", async () => {
  for (const tail of ['COMMIT; DROP TABLE orders;', 'COMMIT; CREATE TABLE pwned(id int);', 'COMMIT; SELECT * FROM users;']) {
    assert.equal(await verdict(pgRo, `SELECT '\\' AS x; ${tail} --'`), 'sql', tail);
  }
  for (const tail of ['PRAGMA query_only = OFF; DROP TABLE orders;', 'PRAGMA query_only = OFF; CREATE TABLE pwned(id int);', 'SELECT * FROM users;']) {
    assert.equal(await verdict(liteRo, `SELECT '\\' AS x; ${tail} --'`), 'sql', tail);
  }
  // One statement either way, but what the parser takes for a string is a subquery to the database.
  assert.equal(await verdict(pgRo, "SELECT '\\', (SELECT password FROM users) AS p --'"), 'sql');
  assert.equal(await verdict(liteRo, "SELECT '\\', (SELECT password FROM users) AS p --'"), 'sql');
  // A server running with standard_conforming_strings = off reads backslashes as escapes: text that splits differently then is refused too.
  const legacy = await pgRo("SELECT 'a\\'' AS x, (SELECT password FROM users) AS p --'");
  assert.ok(!legacy.ok && /standard_conforming_strings = off/.test(legacy.reason), 'refused for the setting, whatever the parser thinks');
  const r = await pgRo("SELECT '\\' AS x; COMMIT; DROP TABLE orders; --'");
  assert.ok(!r.ok && /3 statements as postgresql reads it/.test(r.reason), 'the audit reason says how the database reads it');
  // Strings PostgreSQL and the parser read alike still pass.
  assert.equal(await verdict(pgRo, "select 'it''s' as x, 'a\\b' = 'c' as y from orders"), 'allow');
  assert.equal(await verdict(liteRo, "select 'it''s' as x from orders -- note"), 'allow');
});

test('E strings and dollar quotes: PostgreSQL decides where they end', async () => {
  assert.equal(await verdict(pgRo, "SELECT E'\\\\' AS x; COMMIT; DROP TABLE orders; --'"), 'sql');
  assert.equal(await verdict(pgRo, "SELECT $$\\$$ AS x; COMMIT; DROP TABLE orders; --$$"), 'sql');
  assert.equal(await verdict(pgRo, "SELECT $t$ $$ ' $t$ AS x, (SELECT password FROM users) AS p --'"), 'sql');
  assert.equal(await verdict(pgRo, 'select $q$a;b$q$ as y, $$c$$ as z from orders'), 'allow');
  // node-sql-parser cannot read E'' strings at all: refused, not guessed.
  assert.equal(await verdict(pgRo, "select E'it\\'s' as x"), 'sql');
});

test('every PostgreSQL table reference form names the table', async () => {
  for (const q of [
    'SELECT * FROM ONLY users',
    'SELECT * FROM users*',
    'TABLE users',
    'SELECT * FROM ONLY public.users',
    'select * from orders o, lateral (select * from users u where u.id = o.id) x',
    'select * from "public"."users"',
    'select * from "USERS"',
    'select * from test.public.users',
  ]) {
    assert.notEqual(await verdict(pgRo, q), 'allow', q);
  }
  assert.equal(await verdict(pgRo, 'SELECT * FROM ONLY users'), 'forbiddenTables[0]: users', 'PostgreSQL\'s parse names users; the parser alone said "only"');
  assert.equal(await verdict(pgRo, 'SELECT * FROM ONLY orders'), 'allow');
  const pgWrite = compileSqlConstraint({ sqlDialect: 'postgresql', forbiddenTables: ['users'] });
  for (const q of ['drop table users', 'truncate users', 'lock table users', 'alter table users add column x int', 'grant select on users to public', 'create view v as select * from users', 'copy users to stdout']) {
    assert.notEqual(await verdict(pgWrite, q), 'allow', q);
  }
});

test('functions that run SQL from a string or dump a schema or database are refused', async () => {
  const pg = compileSqlConstraint({ sqlDialect: 'postgresql', readOnly: true });
  for (const q of [
    "select * from ts_stat('select to_tsvector(password) from users')",
    "select ts_rewrite('a'::tsquery, 'select t, s from users')",
    "select pg_catalog.ts_stat('select 1')",
    "select schema_to_xml_and_xmlschema('public', true, false, '')",
    "select schema_to_xml('public', true, false, '')",
    "select database_to_xml(true, false, '')",
    "select database_to_xmlschema(true, false, '')",
    "select table_to_xmlschema('users', true, false, '')",
    "select query_to_xml_and_xmlschema('select * from users', true, false, '')",
    "select query_to_xmlschema('select * from users', true, false, '')",
    "select cursor_to_xml('c', 1, true, false, '')",
    "select xpath_table('id', 'doc', 'users', '/a', 'true')",
    "select * from crosstab('select * from users') as t(a text)",
    "select * from pg_logical_slot_get_changes('s', null, null)",
    "select dblink_exec('host=x', 'drop table orders')",
    'select lo_get(1234)',
  ]) {
    assert.equal(await verdict(pg, q), 'forbiddenFunctions', q);
  }
  const lite = compileSqlConstraint({ sqlDialect: 'sqlite', readOnly: true });
  assert.equal(await verdict(lite, 'select * from sqlite_dbpage'), 'forbiddenFunctions', 'raw pages of every table');
  assert.equal(await verdict(lite, "select eval('select * from users')"), 'forbiddenFunctions');
  assert.equal(await verdict(lite, "select name from fsdir('/etc')"), 'forbiddenFunctions');
});

test('SQLite table reference forms, table-valued pragmas and the schema tables', async () => {
  for (const q of ['select * from main.users', 'select * from "main"."users"', 'select * from temp.users', "select * from pragma_table_info('users')", "select name from pragma_index_list('credentials', 'main')"]) {
    assert.match(await verdict(liteRo, q), /^forbiddenTables\[[01]\]/, q);
  }
  const schema = compileSqlConstraint({ sqlDialect: 'sqlite', readOnly: true, forbiddenTables: ['sqlite_*'] });
  for (const q of ['select sql from sqlite_master', 'select sql from sqlite_schema', 'select sql from main.sqlite_master', 'select * from sqlite_temp_master']) {
    assert.equal(await verdict(schema, q), 'forbiddenTables[0]: sqlite_*', q);
  }
  // SQLite variables: `$a(...)` may hold a quote that opens no string in SQLite; `#a` is a variable to SQLite and a comment to the parser.
  assert.equal(await verdict(liteRo, "select $a(') as x, (select password from users) as p --"), 'sql');
  assert.equal(await verdict(liteRo, 'select #a\n, (select password from users) as p'), 'sql');
});

test("MySQL: '--1' is code, backslashes depend on sql_mode, and '/*M!' is code too", async () => {
  assert.equal(await verdict(myRo, 'select 1 --1, (select password from users)\n'), 'sql');
  assert.equal(await verdict(myRo, 'select id from orders --1\n'), 'sql');
  assert.equal(await verdict(myRo, 'select id from orders -- a comment\n'), 'allow');
  assert.equal(await verdict(myRo, 'select id from orders # a comment\n'), 'allow');
  assert.equal(await verdict(myRo, 'select id from orders --'), 'allow', '`--` at the very end is a comment to MySQL');
  // With NO_BACKSLASH_ESCAPES '\' is a whole string; without it, a quote: the gateway cannot know which.
  assert.equal(await verdict(myRo, "select '\\' as x; drop table orders; -- '"), 'sql');
  assert.equal(await verdict(myRo, "select 'a\\'b' from orders"), 'sql');
  assert.equal(await verdict(myRo, "select 'a\\nb', 'it''s' from orders"), 'allow', 'a backslash that is not before a quote reads the same either way');
  // ANSI_QUOTES: "..." is an identifier, where a backslash escapes nothing.
  assert.equal(await verdict(myRo, 'select "a\\" from orders where "x" = "; drop table orders; --"'), 'sql');
  assert.equal(await verdict(compileSqlConstraint({ sqlDialect: 'mariadb' }), 'select 1 /*M!100100 , (select password from users) */'), 'sql');
});

test('the approximated dialects accept only text every candidate lexing reads alike', async () => {
  for (const dialect of ['transactsql', 'trino', 'snowflake', 'redshift', 'bigquery', 'hive', 'db2', 'athena', 'flinksql'] as const) {
    const c = compileSqlConstraint({ sqlDialect: dialect, readOnly: true, forbiddenTables: ['users'] });
    assert.equal(await verdict(c, "select '\\' as x; drop table orders; --'"), 'sql', dialect);
    assert.equal(await verdict(c, "select 'a' as x from orders"), 'allow', dialect);
  }
  const redshift = compileSqlConstraint({ sqlDialect: 'redshift', forbiddenTables: ['users'] });
  assert.equal(await verdict(redshift, 'select * from only users'), 'sql', "ONLY read as a table named 'only', with no PostgreSQL parse to correct it");
  const trino = compileSqlConstraint({ sqlDialect: 'trino', forbiddenTables: ['users'] });
  assert.equal(await verdict(trino, 'select 1 // x\n, (select password from users)'), 'sql', '`//` is a comment to the Trino parser only');
});
