/**
 * The SQL bypasses of "Close the bypasses" (items 1 and 2), attacked end to end: a real
 * `portcullis run` in front of a real PostgreSQL 15 (through a server built like the reference
 * Postgres MCP server: a read-only transaction is its only guard) and a real SQLite (through
 * test/fixtures/servers/sqlite-query-server.ts: `PRAGMA query_only` is its only guard), with
 * `readOnly: true` and `forbiddenTables: [users, credentials]`.
 *
 * Each attack is refused opaquely, audited with the rule and the reason, and the data is still
 * there afterwards. The controls make the same calls to the servers directly and show each
 * attack works on the real database: without the gateway's reading, it is a real bypass.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NODE, ROOT, rpcError, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';

const PG_SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'postgres-query-server.ts');
const SQLITE_SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'sqlite-query-server.ts');
const SEED = `create table orders(id integer primary key, total real); insert into orders(total) values (10), (20), (30);
  create table users(id integer primary key, name text, password text); insert into users(name, password) values ('ann', 'hunter2');
  create table credentials(id integer primary key, token text); insert into credentials(token) values ('sk-live-1');`;

/** The issue's attacks on `\'`: one harmless SELECT to node-sql-parser, several statements (or a subquery) to the database. */
const PG_STACKED = {
  drop: "SELECT '\\' AS x; COMMIT; DROP TABLE orders; --'",
  create: "SELECT '\\' AS x; COMMIT; CREATE TABLE pwned(id int); --'",
  readUsers: "SELECT '\\' AS x, (SELECT password FROM users LIMIT 1) AS p --'",
  /** One string with standard_conforming_strings on (the default), a subquery on a server running with it off. */
  legacyStrings: "SELECT 'a\\'' AS x, (SELECT password FROM users LIMIT 1) AS p --'",
};
const SQLITE_STACKED = {
  drop: "SELECT '\\' AS x; PRAGMA query_only = OFF; DROP TABLE orders; --'",
  create: "SELECT '\\' AS x; PRAGMA query_only = OFF; CREATE TABLE pwned(id int); --'",
  readUsers: "SELECT '\\' AS x, (SELECT password FROM users LIMIT 1) AS p --'",
};
/** Item 2: no tricks, the parser just does not see the table, or the function reads it from a string. */
const PG_READS = {
  only: 'SELECT * FROM ONLY users',
  tsStat: "SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', password) FROM users')",
  tsRewrite: "SELECT ts_rewrite('x'::tsquery, 'SELECT ''x''::tsquery, to_tsquery(''simple'', password) FROM users')::text AS t",
  schemaDump: "SELECT schema_to_xml_and_xmlschema('public', true, false, '')::text AS x",
};

const dir = tempDir('portcullis-sql-bypass-');
const liteDb = join(dir, 'reporting.db');
let database: TempDatabase | undefined;
let skip: string | undefined;
let gw: RunningGateway;
let client: Client;

before(async () => {
  const d = new DatabaseSync(liteDb);
  d.exec(SEED);
  d.close();
  const t = await tempDatabase();
  if (typeof t === 'string') skip = t;
  else {
    database = t;
    const c = new pg.Client({ connectionString: t.url });
    await c.connect();
    await c.query(SEED.replace(/integer primary key/g, 'serial primary key'));
    await c.end();
  }
  const pgServer = database ? `    - name: pg\n      command: "\${NODE}"\n      args: ["${PG_SERVER}", "${database.url}"]\n` : '';
  gw = await startGateway(`mcp:
  servers:
${pgServer}    - name: lite
      command: "\${NODE}"
      args: ["${SQLITE_SERVER}", "${liteDb}"]
  security:
    requireAuth: false
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - { pattern: "pg__query", sqlDialect: postgresql, readOnly: true, forbiddenTables: [users, credentials] }
        - { pattern: "lite__query", sqlDialect: sqlite, readOnly: true, forbiddenTables: [users, credentials] }
    rateLimiting: { enabled: false }
    # What is measured here is the SQL policy's reading: the shipped injection model, which runs
    # earlier (inspectArguments), is out of its scope and flags some of these queries as injection.
    inspection: { injection: { model: { enabled: false } } }
    audit:
      level: detailed
      destinations: [{ type: file, path: "\${AUDIT}", rotation: none }]
`, [], { dir });
  client = new Client({ name: 'sql-bypass-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
});

after(async () => {
  await client?.close().catch(() => {});
  await gw?.stop();
  await database?.drop();
});

const pgQuery = (sql: string) => client.callTool({ name: 'pg__query', arguments: { sql } });
const liteQuery = (sql: string) => client.callTool({ name: 'lite__query', arguments: { query: sql } });

/** Refused opaquely on the wire; the call's own audit record names the rule and why. */
async function refused(call: () => Promise<unknown>, rule: RegExp, reason?: RegExp): Promise<void> {
  const denials = () => gw.audit().filter((r) => r.decision === 'deny');
  const seen = denials().length;
  const e = await rpcError(call());
  assert.equal(e.code, -32602);
  assert.equal(e.data?.reason, 'POLICY_DENIED');
  assert.match(e.message, /Request refused by policy$/, 'no rule, table or reason on the wire');
  // The sink writes in batches, and a denial may be audited in more than one record: wait (bounded)
  // for the one that names the rule among the records written since the call.
  const named = () => denials().slice(seen).find((r) => rule.test(String(r.rule)));
  for (let i = 0; i < 250 && !named(); i++) await new Promise((r) => setTimeout(r, 20));
  const rec = named();
  assert.ok(rec, `the denial is audited with its rule ${rule}: ${JSON.stringify(denials().slice(seen).map((r) => r.rule))}`);
  if (reason) assert.match(String(rec.reason), reason);
  assert.equal(rec.code, 'POLICY_DENIED');
}

async function pgScalar(sql: string): Promise<unknown> {
  const c = new pg.Client({ connectionString: database!.url });
  await c.connect();
  try {
    return Object.values((await c.query(sql)).rows[0] ?? {})[0];
  } finally {
    await c.end();
  }
}

async function direct<T>(command: string[], fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ name: 'direct', version: '1' });
  await c.connect(new StdioClientTransport({ command: NODE, args: command, stderr: 'ignore' }));
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

describe('PostgreSQL 15', () => {
  test('reads of allowed tables pass, strings and dollar quotes included', async (t) => {
    if (skip) return t.skip(skip);
    assert.match(textOf(await pgQuery('select id, total from orders order by id')), /"total":30/);
    assert.match(textOf(await pgQuery("select $$it's$$ AS a, 'a\\b' AS b, count(*) AS n from ONLY orders")), /"a":"it's","b":"a\\\\b","n":"3"/);
  });

  test("item 1: '\\' stacked after a SELECT is refused, and the tables are as they were", async (t) => {
    if (skip) return t.skip(skip);
    for (const sql of [PG_STACKED.drop, PG_STACKED.create]) await refused(() => pgQuery(sql), /^allowedTools\[0\]\.sql$/, /3 statements as postgresql reads it/);
    await refused(() => pgQuery(PG_STACKED.readUsers), /^allowedTools\[0\]\.sql$/, /strings end elsewhere|disagree on where strings/);
    await refused(() => pgQuery(PG_STACKED.legacyStrings), /^allowedTools\[0\]\.sql$/, /standard_conforming_strings = off/);
    await refused(() => pgQuery("SELECT E'\\\\' AS x; COMMIT; DROP TABLE orders; --'"), /^allowedTools\[0\]\.sql$/);
    await refused(() => pgQuery('SELECT $$\\$$ AS x; COMMIT; DROP TABLE orders; --$$'), /^allowedTools\[0\]\.sql$/);
    assert.equal(await pgScalar('select count(*)::int from orders'), 3);
    assert.equal(await pgScalar("select count(*)::int from pg_tables where tablename = 'pwned'"), 0);
  });

  test('item 2: ONLY, ts_stat, ts_rewrite and schema dumps are refused', async (t) => {
    if (skip) return t.skip(skip);
    await refused(() => pgQuery(PG_READS.only), /^allowedTools\[0\]\.forbiddenTables\[0\]: users$/, /references table 'users'/);
    await refused(() => pgQuery(PG_READS.tsStat), /^allowedTools\[0\]\.forbiddenFunctions$/, /ts_stat/);
    await refused(() => pgQuery(PG_READS.tsRewrite), /^allowedTools\[0\]\.forbiddenFunctions$/, /ts_rewrite/);
    await refused(() => pgQuery(PG_READS.schemaDump), /^allowedTools\[0\]\.forbiddenFunctions$/, /schema_to_xml_and_xmlschema/);
    for (const fn of ["database_to_xmlschema(true, false, '')", "table_to_xmlschema('users', true, false, '')", "query_to_xml('select * from users', true, false, '')"]) {
      await refused(() => pgQuery(`SELECT ${fn}::text AS x`), /^allowedTools\[0\]\.forbiddenFunctions$/);
    }
  });

  test('control: the same calls straight to the server drop, create and read on PostgreSQL 15', async (t) => {
    if (skip) return t.skip(skip);
    const c = new pg.Client({ connectionString: database!.url });
    await c.connect();
    await c.query('create table orders_backup as select * from orders');
    await c.end();
    await direct([PG_SERVER, database!.url], async (s) => {
      const q = async (sql: string) => textOf(await s.callTool({ name: 'query', arguments: { sql } }));
      assert.match(await q(PG_READS.only), /hunter2/);
      assert.match(await q(PG_READS.tsStat), /hunter2/);
      assert.match(await q(PG_READS.tsRewrite), /hunter2/);
      assert.match(await q(PG_READS.schemaDump), /hunter2/);
      assert.match(await q(PG_STACKED.readUsers), /hunter2/);
      await q(PG_STACKED.create);
      await q(PG_STACKED.drop.replace('orders', 'orders_backup'));
    });
    assert.equal(await pgScalar("select count(*)::int from pg_tables where tablename = 'pwned'"), 1, 'COMMIT escaped the read-only transaction');
    assert.equal(await pgScalar("select count(*)::int from pg_tables where tablename = 'orders_backup'"), 0);
    // A server set to the pre-9.1 string syntax reads the backslash as an escape.
    assert.doesNotMatch(await direct([PG_SERVER, database!.url], async (s) => textOf(await s.callTool({ name: 'query', arguments: { sql: PG_STACKED.legacyStrings } }))), /hunter2/);
    await pgScalar(`alter database ${database!.name} set standard_conforming_strings = off`);
    const legacy = await direct([PG_SERVER, database!.url], async (s) => textOf(await s.callTool({ name: 'query', arguments: { sql: PG_STACKED.legacyStrings } })));
    assert.match(legacy, /hunter2/);
  });
});

describe('SQLite', () => {
  test("item 1: '\\' with PRAGMA query_only = OFF is refused, and the tables are as they were", async () => {
    assert.match(textOf(await liteQuery('select count(*) as n from orders')), /"n":3/);
    for (const sql of [SQLITE_STACKED.drop, SQLITE_STACKED.create]) await refused(() => liteQuery(sql), /^allowedTools\[1\]\.sql$/, /3 statements as sqlite reads it/);
    await refused(() => liteQuery(SQLITE_STACKED.readUsers), /^allowedTools\[1\]\.sql$/);
    const d = new DatabaseSync(liteDb, { readOnly: true });
    assert.deepEqual({ ...d.prepare('select count(*) as n from orders').get() }, { n: 3 });
    assert.equal(d.prepare("select count(*) as n from sqlite_schema where name = 'pwned'").get()?.n, 0);
    d.close();
  });

  test('item 2: schema-qualified names and table-valued pragmas name the table', async () => {
    await refused(() => liteQuery('select * from main.users'), /^allowedTools\[1\]\.forbiddenTables\[0\]: users$/);
    await refused(() => liteQuery("select name from pragma_table_info('credentials')"), /^allowedTools\[1\]\.forbiddenTables\[1\]: credentials$/);
  });

  test('control: the same calls straight to the server read users, create and drop', async () => {
    const copy = join(tempDir(), 'reporting.db');
    const d = new DatabaseSync(copy);
    d.exec(SEED);
    d.close();
    await direct([SQLITE_SERVER, copy], async (s) => {
      const q = async (sql: string) => textOf(await s.callTool({ name: 'query', arguments: { query: sql } }));
      assert.match(await q(SQLITE_STACKED.readUsers), /hunter2/);
      assert.match(await q("select name from pragma_table_info('credentials')"), /token/);
      await q(SQLITE_STACKED.create);
      await q(SQLITE_STACKED.drop);
      assert.match(await q('select count(*) from orders'), /no such table: orders/);
      assert.match(await q('select count(*) as n from pwned'), /"n":0/);
    });
  });
});
