/**
 * The seed's example policy, filled in with real servers, end to end through `portcullis run`:
 * its `file.read` rule (allowedPaths /data/public/*, /data/shared/*; forbiddenPaths /etc/*,
 * /root/*, *.key, *.pem) on @modelcontextprotocol/server-filesystem, its `database.read` rule
 * (allowedDatabases reporting, analytics; forbiddenTables users, credentials) on a real SQLite MCP
 * server (test/fixtures/servers), and its `maxEventsPerDay` condition, kept across a restart.
 *
 * Controls prove each refusal is the gateway's: the same calls made to the servers directly
 * succeed (the filesystem server serves the whole data directory; the SQL server's read-only
 * guard falls to a stacked statement).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { FILESYSTEM, NODE, ROOT, rpcError, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const SQL_SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'sqlite-query-server.ts');
const dir = tempDir('portcullis-seed-');
const data = join(dir, 'data');
const db = (name: string) => join(dir, `${name}.db`);

function seedFiles(): void {
  for (const d of ['public/sub', 'shared', 'private', 'public-evil']) mkdirSync(join(data, d), { recursive: true });
  writeFileSync(join(data, 'public', 'report.txt'), 'quarterly numbers');
  writeFileSync(join(data, 'public', 'sub', 'deep.txt'), 'deep file');
  writeFileSync(join(data, 'public', 'server.key'), '-----BEGIN PRIVATE KEY-----');
  writeFileSync(join(data, 'shared', 'notes.md'), 'team notes');
  writeFileSync(join(data, 'private', 'secret.txt'), 'the secret');
  writeFileSync(join(data, 'public-evil', 'loot.txt'), 'outside the allowed tree');
  const make = (file: string, sql: string) => {
    const d = new DatabaseSync(file);
    d.exec(sql);
    d.close();
  };
  make(db('reporting'), `create table orders(id integer primary key, total real); insert into orders(total) values (10), (20), (30);
    create table users(id integer primary key, name text, password text); insert into users(name, password) values ('ann', 'hunter2');
    create table credentials(id integer primary key, token text); insert into credentials(token) values ('sk-live-1');`);
  make(db('analytics'), 'create table events(id integer primary key, kind text); insert into events(kind) values (\'click\');');
  make(db('hr'), 'create table salaries(id integer primary key, amount real); insert into salaries(amount) values (100000);');
}

// The seed's toolAccess, with the real servers' tool names and the temp directory for /data.
const CONFIG = `mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  servers:
    - name: file-system-mcp
      command: "\${NODE}"
      args: ["\${FILESYSTEM}", "${dir}"]
    - name: database-mcp
      command: "\${NODE}"
      args: ["${SQL_SERVER}", "${db('reporting')}", "analytics=${db('analytics')}", "hr=${db('hr')}"]
  security:
    requireAuth: false
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - pattern: "file-system-mcp__list_allowed_directories"   # the seed's calendar.* quota
          conditions:
            - maxEventsPerDay: 2
        - pattern: "database-mcp__query"                          # the seed's database.read
          allowedDatabases: ["reporting", "analytics"]
          forbiddenTables: ["users", "credentials"]
          defaultDatabase: reporting
          readOnly: true
          sqlDialect: sqlite
        - pattern: "file-system-mcp__read_*"                      # the seed's file.read
          allowedPaths:
            - "${data}/public/*"
            - "${data}/shared/*"
          forbiddenPaths:
            - "/etc/*"
            - "/root/*"
            - "*.key"
            - "*.pem"
        - pattern: "file-system-mcp__write_file"
          allowedPaths: ["${data}/**"]
      deniedTools:
        - "system.exec"
        - "shell.*"
        - "network.*"
    rateLimiting: { enabled: true, requestsPerMinute: 600, burstSize: 100, cooldownSeconds: 1 }
    audit:
      level: detailed
      destinations: [{ type: file, path: "\${AUDIT}", rotation: none }]
`;

let gw: RunningGateway;
let client: Client;

async function connect(g: RunningGateway): Promise<Client> {
  const c = new Client({ name: 'seed-policy-test', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(g.url)));
  return c;
}

before(async () => {
  seedFiles();
  gw = await startGateway(CONFIG, [], { dir });
  client = await connect(gw);
});

after(async () => {
  await client?.close().catch(() => {});
  await gw?.stop();
});

const read = (path: string) => client.callTool({ name: 'file-system-mcp__read_text_file', arguments: { path } });
const query = (sql: string) => client.callTool({ name: 'database-mcp__query', arguments: { query: sql } });

const denials = (tool: string) => gw.audit().filter((r) => r.tool === tool && r.decision === 'deny');

/** The call is refused opaquely on the wire, and its own audit record names the rule and the argument. */
async function refused(call: () => Promise<unknown>, rule: RegExp, argument: string | undefined, tool: string): Promise<void> {
  const seen = denials(tool).length;
  const e = await rpcError(call());
  assert.equal(e.code, -32602);
  assert.equal(e.data?.reason, 'POLICY_DENIED');
  assert.match(e.message, /Request refused by policy$/, 'opaque on the wire: no rule, path or table');
  // The audit sink batches writes (100 ms): wait for this call's record.
  for (let i = 0; i < 100 && denials(tool).length <= seen; i++) await new Promise((r) => setTimeout(r, 20));
  const rec = denials(tool)[seen];
  assert.ok(rec, `the denial of ${tool} is audited`);
  assert.match(String(rec.rule), rule);
  assert.equal(rec.argument, argument);
  assert.equal(rec.event, 'policy_violation');
  assert.equal(rec.code, 'POLICY_DENIED');
}

test('paths: allowed files are served; traversal, prefix, forbidden and outside paths are refused', async () => {
  assert.equal(textOf(await read(join(data, 'public', 'report.txt'))), 'quarterly numbers');
  assert.equal(textOf(await read(join(data, 'public', 'sub', 'deep.txt'))), 'deep file');
  assert.equal(textOf(await read(join(data, 'shared', 'notes.md'))), 'team notes');
  await refused(() => read(`${data}/public/../private/secret.txt`), /^allowedTools\[2\]\.allowedPaths$/, 'path', 'read_text_file');
  await refused(() => read(`${data}/public-evil/loot.txt`), /^allowedTools\[2\]\.allowedPaths$/, 'path', 'read_text_file');
  await refused(() => read(`${data}/public/%2e%2e/private/secret.txt`), /^allowedTools\[2\]\.allowedPaths$/, 'path', 'read_text_file');
  await refused(() => read(join(data, 'public', 'server.key')), /^allowedTools\[2\]\.forbiddenPaths\[2\]: \*\.key$/, 'path', 'read_text_file');
  await refused(() => read('/etc/passwd'), /^allowedTools\[2\]\.forbiddenPaths\[0\]: \/etc\/\*$/, 'path', 'read_text_file');
  await refused(
    () => client.callTool({ name: 'file-system-mcp__read_multiple_files', arguments: { paths: [join(data, 'public', 'report.txt'), join(data, 'private', 'secret.txt')] } }),
    /^allowedTools\[2\]\.allowedPaths$/,
    'paths',
    'read_multiple_files',
  );
});

test('control: the filesystem server itself serves what the gateway refused', async () => {
  const direct = new Client({ name: 'direct', version: '1' });
  await direct.connect(new StdioClientTransport({ command: NODE, args: [FILESYSTEM, dir], stderr: 'ignore' }));
  try {
    const r = await direct.callTool({ name: 'read_text_file', arguments: { path: `${data}/public/../private/secret.txt` } });
    assert.equal(textOf(r), 'the secret');
    assert.equal(textOf(await direct.callTool({ name: 'read_text_file', arguments: { path: `${data}/public-evil/loot.txt` } })), 'outside the allowed tree');
  } finally {
    await direct.close();
  }
});

test('MCP client configuration files: a write is refused even inside allowedPaths', async () => {
  const target = join(data, '.cursor', 'mcp.json');
  await refused(
    () => client.callTool({ name: 'file-system-mcp__write_file', arguments: { path: target, content: '{"mcpServers":{"x":{"command":"sh"}}}' } }),
    /^argumentGuards\.clientConfigFiles: \*\*\/\.cursor/,
    'path',
    'write_file',
  );
  assert.equal(existsSync(target), false);
  await client.callTool({ name: 'file-system-mcp__write_file', arguments: { path: join(data, 'public', 'new.txt'), content: 'fine' } });
  assert.equal(textOf(await read(join(data, 'public', 'new.txt'))), 'fine');
});

test('SQL: allowed reads pass; forbidden tables, other databases, writes and stacked statements are refused', async () => {
  assert.match(textOf(await query('select id, total from orders order by id')), /"total":30/);
  assert.match(textOf(await query('select count(*) as n from analytics.events')), /"n":1/);
  await refused(() => query('select * from users'), /^allowedTools\[1\]\.forbiddenTables\[0\]: users$/, 'query', 'query');
  await refused(() => query('select o.id from orders o join "USERS" u on u.id = o.id'), /^allowedTools\[1\]\.forbiddenTables\[0\]/, 'query', 'query');
  await refused(() => query('with c as (select token from credentials) select * from c'), /^allowedTools\[1\]\.forbiddenTables\[1\]: credentials$/, 'query', 'query');
  await refused(() => query('select * from main.credentials'), /^allowedTools\[1\]\.forbiddenTables\[1\]/, 'query', 'query');
  await refused(() => query('select * from hr.salaries'), /^allowedTools\[1\]\.allowedDatabases$/, 'query', 'query');
  await refused(() => query('delete from orders'), /^allowedTools\[1\]\.readOnly$/, 'query', 'query');
  await refused(() => query('PRAGMA query_only = OFF; DROP TABLE orders'), /^allowedTools\[1\]\.sql$/, 'query', 'query');
  await refused(() => query('select * from orders where'), /^allowedTools\[1\]\.sql$/, 'query', 'query');
  assert.match(textOf(await query('select count(*) as n from orders')), /"n":3/, 'the table is still there');
});

test('control: the SQL server alone falls to the stacked statement', async () => {
  const copy = join(tempDir(), 'reporting.db');
  copyFileSync(db('reporting'), copy);
  const direct = new Client({ name: 'direct', version: '1' });
  await direct.connect(new StdioClientTransport({ command: NODE, args: [SQL_SERVER, copy], stderr: 'ignore' }));
  try {
    await direct.callTool({ name: 'query', arguments: { query: 'PRAGMA query_only = OFF; DROP TABLE orders' } });
    const after = await direct.callTool({ name: 'query', arguments: { query: 'select count(*) from orders' } });
    assert.equal(after.isError, true);
    assert.match(textOf(after), /no such table: orders/);
  } finally {
    await direct.close();
  }
});

test('the maxEventsPerDay quota survives a restart of the gateway', async () => {
  const list = (c: Client) => c.callTool({ name: 'file-system-mcp__list_allowed_directories', arguments: {} });
  await list(client);
  await list(client);
  const e = await rpcError(list(client));
  assert.equal(e.code, -32010);
  assert.equal(e.data?.reason, 'QUOTA_EXCEEDED');
  assert.ok(Number(e.data?.retryAfterSeconds) > 0);
  await client.close();
  assert.equal(await gw.stop(), 0);
  assert.ok(existsSync(join(dir, 'portcullis-state', 'quotas.db')), 'the counters are on disk');

  gw = await startGateway(CONFIG, [], { dir });
  client = await connect(gw);
  const again = await rpcError(list(client));
  assert.equal(again.data?.reason, 'QUOTA_EXCEEDED', 'a restart does not hand out a fresh quota');
  for (let i = 0; i < 50 && !gw.audit().some((r) => r.code === 'QUOTA_EXCEEDED'); i++) await new Promise((r) => setTimeout(r, 50));
  const rec = gw.audit().filter((r) => r.code === 'QUOTA_EXCEEDED').at(-1)!;
  assert.equal(rec.event, 'rate_limit_exceeded');
  assert.equal(rec.rule, 'allowedTools[0].conditions[0]');
  // The other rules are unaffected.
  assert.equal(textOf(await read(join(data, 'public', 'report.txt'))), 'quarterly numbers');
});
