/**
 * The cost of argument-level policy per call.
 *
 *   node bench/argument-policy.ts [--n 10000] [--calls 2000]
 *
 * 1. In process: `decideArguments` (what the constrainArguments stage runs) N times per case,
 *    after a warm-up, timed with performance.now(); mean, p50, p99 in microseconds.
 * 2. End to end: the same real SQLite MCP server behind `portcullis run`, once with the tool
 *    allowed by name only and once with the seed's SQL rule (forbiddenTables, allowedDatabases,
 *    readOnly); the same for server-filesystem with and without the seed's path rule. Sequential
 *    calls from the v1 SDK client over Streamable HTTP; the difference of the means is the cost.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loadConfigText } from '../src/config/load.ts';
import { decideArguments, type MatchedRule } from '../src/policy/argument-decision.ts';
import type { RuleObject } from '../src/policy/compiled-rules.ts';
import { ToolPolicy } from '../src/policy/tool-policy.ts';
import { MemoryQuotaStore } from '../src/state/quota-store.ts';
import { SqliteQuotaStore } from '../src/state/sqlite-quota-store.ts';
import type { ToolDef } from '../src/gateway/catalog.ts';
import { ROOT, startGateway, tempDir } from '../test/helpers/gateway-process.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '10000' }, calls: { type: 'string', default: '2000' } } });
const N = Number(values.n);
const CALLS = Number(values.calls);

function stats(samples: number[]): { mean: number; p50: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: s[Math.floor(s.length * 0.5)], p99: s[Math.floor(s.length * 0.99)] };
}
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

const POLICY = `mcp:
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - echo
        - { pattern: "calendar.*", conditions: [{ maxEventsPerDay: 1000000000 }] }
        - { pattern: database.read, allowedDatabases: [reporting, analytics], forbiddenTables: [users, credentials], defaultDatabase: reporting, readOnly: true }
        - { pattern: file.read, allowedPaths: ["/data/public/*", "/data/shared/*"], forbiddenPaths: ["/etc/*", "/root/*", "*.key", "*.pem"] }
        - { pattern: search, when: 'principal.roles.exists(r, r == "admin") || args.limit <= 100' }
        - { pattern: fetch }
    toolLabels: { "file.read": [private-data], fetch: [external-sink] }
    flowRules: [{ name: no-exfiltration, after: [private-data], deny: [external-sink] }]
`;

async function inProcess(): Promise<void> {
  const { config } = loadConfigText(POLICY);
  const sec = config.mcp.security;
  const policy = new ToolPolicy(sec.toolAccess);
  const sqlite = new SqliteQuotaStore({ path: join(tempDir(), 'quotas.db') });
  const cases: [string, string, Record<string, unknown>, ToolDef?][] = [
    ['no rule (guards only)', 'echo', { message: 'hello' }],
    ['path rule, allowed', 'file.read', { path: '/data/public/reports/q3.txt' }],
    ['path rule, traversal denied', 'file.read', { path: '/data/public/%2e%2e/%2e%2e/etc/shadow' }],
    ['SQL rule, join allowed', 'database.read', { query: 'select o.id, i.sku from orders o join items i on i.order_id = o.id where o.total > 10 limit 50' }],
    ['SQL rule, forbidden table denied', 'database.read', { query: 'with c as (select * from credentials) select * from c' }],
    ['CEL condition', 'search', { q: 'x', limit: 50 }],
    ['URL guard, IP literal', 'fetch', { url: 'http://93.184.215.14/page' }, { name: 'fetch', inputSchema: { type: 'object', properties: { url: { type: 'string', format: 'uri' } } } }],
    ['quota (SQLite, persisted)', 'calendar.create', { title: 'x' }],
  ];
  console.log(`In process: ${N} decisions per case (constrainArguments' decideArguments)`);
  for (const [label, tool, args, def] of cases) {
    const d = policy.decide({ kind: 'tool', server: 's', name: tool, servers: ['s'] });
    const matched: MatchedRule | undefined = d.matchedRule && typeof d.matchedRule !== 'string' ? { label: d.rule, rule: d.matchedRule as RuleObject } : undefined;
    const quotas = tool.startsWith('calendar') ? sqlite : new MemoryQuotaStore();
    const facts = { server: 's', tool, servers: ['s'], def, args, principal: { subject: 'alice', method: 'bench', roles: [] }, session: { id: 's', labels: new Set<string>() }, nowMs: Date.now() };
    const env = { quotas, resolve: async () => ['93.184.215.14'], consume: true };
    for (let i = 0; i < 500; i++) await decideArguments(sec, matched, facts, env);
    const samples: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await decideArguments(sec, matched, facts, env);
      samples.push(performance.now() - t);
    }
    const s = stats(samples);
    console.log(`  ${label.padEnd(34)} mean ${us(s.mean).padStart(10)}  p50 ${us(s.p50).padStart(10)}  p99 ${us(s.p99).padStart(10)}`);
  }
  sqlite.close();
}

async function endToEnd(label: string, yaml: string, tool: string, args: Record<string, unknown>): Promise<number> {
  const gw = await startGateway(yaml);
  const c = new Client({ name: 'bench', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  try {
    for (let i = 0; i < 200; i++) await c.callTool({ name: tool, arguments: args });
    const samples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      const r = await c.callTool({ name: tool, arguments: args });
      samples.push(performance.now() - t);
      if (r.isError) throw new Error(`${label}: the call failed`);
    }
    const s = stats(samples);
    console.log(`  ${label.padEnd(44)} mean ${us(s.mean).padStart(10)}  p50 ${us(s.p50).padStart(10)}  p99 ${us(s.p99).padStart(10)}`);
    return s.mean;
  } finally {
    await c.close();
    await gw.stop();
  }
}

async function e2e(): Promise<void> {
  const dir = tempDir('portcullis-bench-');
  const db = join(dir, 'reporting.db');
  const d = new DatabaseSync(db);
  d.exec('create table orders(id integer primary key, total real); create table items(order_id int, sku text); insert into orders(total) values (10),(20),(30); insert into items values (1, \'a\'), (2, \'b\');');
  d.close();
  writeFileSync(join(dir, 'report.txt'), 'quarterly numbers');
  const sqlServer = join(ROOT, 'test', 'fixtures', 'servers', 'sqlite-query-server.ts');
  const base = (rules: string, server: string) => `mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  servers: [${server}]
  security:
    toolAccess: { defaultPolicy: deny, allowedTools: [${rules}] }
    rateLimiting: { enabled: false }
    audit: { level: summary, destinations: [{ type: file, path: "\${AUDIT}", rotation: none }] }
`;
  const sqlSrv = `{ name: db, command: "\${NODE}", args: ["${sqlServer}", "${db}"] }`;
  const fsSrv = `{ name: fs, command: "\${NODE}", args: ["\${FILESYSTEM}", "${dir}"] }`;
  const query = { query: 'select o.id, i.sku from orders o join items i on i.order_id = o.id where o.total > 5 limit 50' };
  console.log(`\nEnd to end: ${CALLS} sequential calls through portcullis run (v1 SDK client, Streamable HTTP)`);
  const sqlPlain = await endToEnd('SQL query, allowed by name only', base('query', sqlSrv), 'query', query);
  const sqlRule = await endToEnd('SQL query, seed SQL rule', base('{ pattern: query, allowedDatabases: [main], defaultDatabase: main, forbiddenTables: [users, credentials], readOnly: true, sqlDialect: sqlite }', sqlSrv), 'query', query);
  const file = { path: join(dir, 'report.txt') };
  const fsPlain = await endToEnd('read_text_file, allowed by name only', base('read_text_file', fsSrv), 'read_text_file', file);
  const fsRule = await endToEnd('read_text_file, seed path rule', base(`{ pattern: read_text_file, allowedPaths: ["${dir}/*"], forbiddenPaths: ["/etc/*", "/root/*", "*.key", "*.pem"] }`, fsSrv), 'read_text_file', file);
  console.log(`  => SQL rule adds ${us(sqlRule - sqlPlain)} per call; path rule adds ${us(fsRule - fsPlain)} per call (difference of means)`);
}

await inProcess();
await e2e();
