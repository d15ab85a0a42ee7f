/**
 * SQL arguments through the real parser: forbidden tables however they are reached or spelled,
 * stacked statements, read-only mode, dangerous functions, databases, and fail-closed parsing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileSqlConstraint } from '../../src/policy/sql-constraint.ts';

const seed = compileSqlConstraint({ allowedDatabases: ['reporting', 'analytics'], forbiddenTables: ['users', 'credentials'], defaultDatabase: 'reporting' });
const verdict = (check: ReturnType<typeof compileSqlConstraint>, sql: unknown, db?: unknown) => {
  const r = check(sql, db);
  return r.ok ? 'allow' : r.rule;
};

test('plain reads of allowed tables pass', () => {
  assert.equal(verdict(seed, 'SELECT id, total FROM orders WHERE total > 10 ORDER BY id LIMIT 5'), 'allow');
  assert.equal(verdict(seed, 'select count(*) from orders o join items i on i.order_id = o.id'), 'allow');
  assert.equal(verdict(seed, 'select * from orders -- a trailing comment'), 'allow');
  assert.equal(verdict(seed, 'select * from orders;'), 'allow', 'one statement with its terminator');
});

test('forbidden tables are found through joins, subqueries, CTEs, set operations, qualification, quoting and case', () => {
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
  for (const q of cases) assert.match(verdict(seed, q), /^forbiddenTables\[[01]\]/, q);
});

test('a qualified forbidden table names that schema only', () => {
  const c = compileSqlConstraint({ forbiddenTables: ['audit.events', 'secret_*'] });
  assert.equal(verdict(c, 'select * from audit.events'), 'forbiddenTables[0]: audit.events');
  assert.equal(verdict(c, 'select * from db1.audit.events'), 'forbiddenTables[0]: audit.events');
  assert.equal(verdict(c, 'select * from public.events'), 'allow');
  assert.equal(verdict(c, 'select * from secret_keys'), 'forbiddenTables[1]: secret_*');
});

test('more than one statement is refused, including the stacked COMMIT escape', () => {
  for (const q of ['select 1; drop table orders', 'COMMIT; DROP TABLE orders', 'select * from orders; select * from users', 'select 1;;select 2']) {
    assert.equal(verdict(seed, q), 'sql', q);
  }
});

test('read-only mode: a single SELECT and nothing that writes', () => {
  const ro = compileSqlConstraint({ readOnly: true });
  assert.equal(verdict(ro, 'select * from orders'), 'allow');
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
    assert.notEqual(verdict(ro, q), 'allow', q);
  }
  assert.equal(verdict(ro, 'delete from orders'), 'readOnly');
  assert.equal(verdict(ro, 'select * into copy_of_orders from orders'), 'readOnly');
  // Postgres data-modifying CTE: the parser does not take it, so it is refused as unparseable.
  assert.equal(verdict(ro, 'with d as (delete from orders returning *) select * from d'), 'sql');
});

test('functions that read files, run SQL from strings or reach other databases are refused', () => {
  const pg = compileSqlConstraint({ readOnly: true });
  for (const q of [
    "select pg_read_file('/etc/passwd')",
    "select query_to_xml('select * from users', true, true, '')",
    "select * from dblink('host=10.0.0.1', 'select 1') as t(x int)",
    "select lo_import('/etc/passwd')",
    'select pg_sleep(100)',
    "select set_config('role', 'admin', false)",
  ]) {
    assert.ok(['forbiddenFunctions', 'sql'].includes(verdict(pg, q)), q);
  }
  assert.equal(verdict(pg, "select pg_read_file('/etc/passwd')"), 'forbiddenFunctions');
  assert.equal(verdict(pg, "select query_to_xml('select * from users', true, true, '')"), 'forbiddenFunctions');
  assert.equal(verdict(pg, 'select upper(name), count(*) from orders group by 1'), 'allow', 'ordinary functions pass');
  const sqlite = compileSqlConstraint({ readOnly: true, sqlDialect: 'sqlite' });
  assert.equal(verdict(sqlite, "select load_extension('/tmp/evil.so')"), 'forbiddenFunctions');
  assert.equal(verdict(sqlite, "select readfile('/etc/passwd')"), 'forbiddenFunctions');
  const extra = compileSqlConstraint({ forbiddenFunctions: ['my_udf'] });
  assert.equal(verdict(extra, 'select my_udf(1)'), 'forbiddenFunctions');
});

test('MySQL executable comments are code to MySQL and a comment to the parser: refused', () => {
  const my = compileSqlConstraint({ forbiddenTables: ['users'], sqlDialect: 'mysql' });
  assert.equal(verdict(my, 'select 1 /*!50000 , (select password from users) */'), 'sql');
  assert.equal(verdict(my, 'select * from `users`'), 'forbiddenTables[0]: users');
  assert.equal(verdict(my, 'select * from orders'), 'allow');
});

test('anything that does not parse is refused (fail closed)', () => {
  for (const q of ['garbage here', 'select * from', "select * from orders where name = 'unterminated", 'select * from orders\u0000', 'pragma table_info(users)', '', ' ']) {
    assert.equal(verdict(seed, q), 'sql', JSON.stringify(q));
  }
  for (const v of [42, null, ['select 1'], { sql: 'select 1' }]) assert.equal(verdict(seed, v), 'sql');
  assert.equal(verdict(seed, 'select 1 from orders where x = ' + '1 + '.repeat(20000) + '1'), 'sql', 'over the length limit');
});

test('databases: the argument, qualified names and USE must be allowed; none named means defaultDatabase', () => {
  assert.equal(verdict(seed, 'select * from orders', 'analytics'), 'allow');
  assert.equal(verdict(seed, 'select * from orders', 'production'), 'allowedDatabases');
  assert.equal(verdict(seed, 'select * from orders'), 'allow', 'defaultDatabase reporting');
  assert.equal(verdict(seed, 'select * from production.public.orders'), 'allowedDatabases');
  assert.equal(verdict(seed, 'select * from analytics.public.orders'), 'allow');
  const noDefault = compileSqlConstraint({ allowedDatabases: ['reporting'] });
  assert.equal(verdict(noDefault, 'select * from orders'), 'allowedDatabases', 'the server\'s database is unknown: refused');
  const my = compileSqlConstraint({ allowedDatabases: ['analytics'], sqlDialect: 'mysql' });
  assert.equal(verdict(my, 'select * from analytics.orders'), 'allow');
  assert.equal(verdict(my, 'select * from mysql.user'), 'allowedDatabases');
  assert.equal(verdict(my, 'use analytics'), 'allow');
  assert.equal(verdict(my, 'use mysql'), 'allowedDatabases');
  const lite = compileSqlConstraint({ allowedDatabases: ['main'], defaultDatabase: 'main', sqlDialect: 'sqlite' });
  assert.equal(verdict(lite, 'select * from main.orders'), 'allow');
  assert.equal(verdict(lite, 'select * from other.orders'), 'allowedDatabases', 'an ATTACHed database');
  assert.equal(verdict(lite, "attach database '/tmp/x.db' as other"), 'allowedDatabases');
});
