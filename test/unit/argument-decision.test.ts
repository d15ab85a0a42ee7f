/**
 * The argument-level decision as the gateway makes it: argument inference from inputSchema,
 * flow rules across calls, MCP client configuration files, operands, CEL conditions (and their
 * compile errors with positions), and quotas per identity / tool / server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText, ConfigError } from '../../src/config/load.ts';
import type { ToolDef } from '../../src/gateway/catalog.ts';
import { decideArguments, type CallFacts, type MatchedRule } from '../../src/policy/argument-decision.ts';
import { inferArguments, isWriteLike } from '../../src/policy/argument-inference.ts';
import { celProblem } from '../../src/policy/cel-condition.ts';
import { ToolPolicy } from '../../src/policy/tool-policy.ts';
import { MemoryQuotaStore } from '../../src/state/quota-store.ts';
import type { RuleObject } from '../../src/policy/compiled-rules.ts';

const noDns = async (h: string): Promise<string[]> => {
  throw new Error(`no DNS in this test (${h})`);
};

function setup(yaml: string) {
  const { config } = loadConfigText(yaml);
  const sec = config.mcp.security;
  const policy = new ToolPolicy(sec.toolAccess);
  const quotas = new MemoryQuotaStore();
  return async (tool: string, args: Record<string, unknown>, extra: Partial<CallFacts> = {}) => {
    const d = policy.decide({ kind: 'tool', server: 'srv', name: tool, servers: ['srv'] });
    assert.ok(d.allowed, `${tool} allowed by name`);
    const matched: MatchedRule | undefined = d.matchedRule && typeof d.matchedRule !== 'string' ? { label: d.rule, rule: d.matchedRule as RuleObject } : undefined;
    return decideArguments(sec, matched, {
      server: 'srv', tool, servers: ['srv'], args,
      principal: { subject: 'alice', method: 'test', roles: [] },
      session: { id: 's', labels: new Set() },
      nowMs: Date.UTC(2026, 0, 15, 10),
      ...extra,
    }, { quotas, resolve: noDns, consume: true });
  };
}

test('argument inference: format uri, then the last word of the name', () => {
  const def: ToolDef = {
    name: 't',
    inputSchema: {
      type: 'object',
      properties: {
        path: { type: 'string' }, targetFile: { type: 'string' }, source_path: { type: 'string' }, paths: { type: 'array', items: { type: 'string' } },
        path_style: { type: 'string' }, query: { type: 'string' }, sql: { type: 'string' }, database: { type: 'string' },
        data: { type: 'string', format: 'uri' }, webhookUrl: { type: 'string' }, links: { type: 'array', items: { type: 'string', format: 'uri' } }, content: { type: 'string' },
      },
    },
  };
  const got = inferArguments(def, {});
  assert.deepEqual(got.path, ['path', 'targetFile', 'source_path', 'paths']);
  assert.deepEqual(got.sql, ['query', 'sql']);
  assert.deepEqual(got.database, ['database']);
  assert.deepEqual(got.url, ['data', 'webhookUrl', 'links']);
  assert.equal(isWriteLike({ name: 'write_file' }, 'write_file'), true);
  assert.equal(isWriteLike({ name: 'editNotebook' }, 'editNotebook'), true);
  assert.equal(isWriteLike({ name: 'x', annotations: { destructiveHint: true } }, 'x'), true);
  assert.equal(isWriteLike({ name: 'read_file', annotations: { readOnlyHint: true } }, 'read_file'), false);
  assert.equal(isWriteLike({ name: 'write_file', annotations: { readOnlyHint: true } }, 'write_file'), true, 'the name wins over a claim');
});

test('a constraint that finds no argument refuses the call instead of switching off', async () => {
  const call = setup(`mcp:
  security:
    toolAccess:
      allowedTools:
        - { pattern: db, forbiddenTables: [users] }
        - { pattern: db2, forbiddenTables: [users], argument: q }
`);
  const def: ToolDef = { name: 'db', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } };
  const a = await call('db', { q: 'select * from users' }, { def });
  assert.equal(a.denied?.rule, 'allowedTools[0].argument');
  const b = await call('db2', { q: 'select * from users' }, { def: { ...def, name: 'db2' } });
  assert.equal(b.denied?.rule, 'allowedTools[1].forbiddenTables[0]: users');
  assert.equal(b.denied?.argument, 'q');
});

test('writes to MCP client configuration files are refused by default, reads are not', async () => {
  const call = setup(`mcp:
  security:
    toolAccess: { defaultPolicy: allow }
`);
  for (const p of ['/home/u/proj/.cursor/mcp.json', '/home/u/proj/.vscode/mcp.json', '/Users/u/Library/Application Support/Claude/claude_desktop_config.json', '/repo/.mcp.json', '/repo/.CURSOR/MCP.JSON', '/repo/.cursor', '/repo/.vscode/tasks.json', '.cursor/mcp.json', '/repo/x/../.claude/settings.json']) {
    const d = await call('write_file', { path: p, content: '{}' });
    assert.match(d.denied?.rule ?? '', /^argumentGuards\.clientConfigFiles/, p);
    assert.equal(d.denied?.argument, 'path');
  }
  const mv = await call('move_file', { source: '/tmp/prepared', destination: '/repo/.cursor' });
  assert.equal(mv.denied?.argument, 'destination');
  assert.equal((await call('read_file', { path: '/repo/.cursor/mcp.json' })).allowed, true);
  assert.equal((await call('write_file', { path: '/repo/notes/mcp.json.txt', content: '.cursor/mcp.json' })).allowed, true);
  const off = setup(`mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    argumentGuards: { clientConfigWrites: allow }
`);
  assert.equal((await off('write_file', { path: '/repo/.cursor/mcp.json' })).allowed, true);
  const extra = setup(`mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    argumentGuards: { clientConfigFiles: [/etc/portcullis/*.yaml, "**/.openclaw/*"] }
`);
  assert.equal((await extra('write_file', { path: '/etc/portcullis/prod.yaml' })).denied?.rule, 'argumentGuards.clientConfigFiles: /etc/portcullis/*.yaml');
  assert.equal((await extra('edit_file', { path: '/home/u/.openclaw/openclaw.json' })).denied?.rule, 'argumentGuards.clientConfigFiles: **/.openclaw/*');
  assert.throws(() => loadConfigText('mcp:\n  security:\n    argumentGuards: { clientConfigFiles: ["~/.x/y"] }\n'), (e: unknown) => e instanceof ConfigError && e.problems[0].path === 'mcp.security.argumentGuards.clientConfigFiles.0');
});

test('client configuration files: a path the guard cannot normalize is refused, at any depth', async () => {
  const call = setup(`mcp:
  security:
    toolAccess: { defaultPolicy: allow }
`);
  for (const p of ['/home/u/proj/%ff/../.mcp.json', '/home/u/proj/\u0001/../.vscode/settings.json', '/home/u/proj/%c0%ae%c0%ae/.cursor', '~bob/.cursor/mcp.json', 'x'.repeat(5000)]) {
    const d = await call('write_file', { path: p, content: '{}' });
    assert.equal(d.denied?.rule, 'argumentGuards.clientConfigFiles', JSON.stringify(p).slice(0, 60));
    assert.match(d.denied?.reason ?? '', /cannot normalize/);
  }
  assert.equal((await call('create_directory', { path: '/home/u/proj/%ff/../.cursor' })).denied?.rule, 'argumentGuards.clientConfigFiles');
  assert.match((await call('create_directory', { path: '/home/u/proj/.cursor' })).denied?.rule ?? '', /^argumentGuards\.clientConfigFiles: \*\*\/\.cursor/);
  const nested = await call('write_files', { files: [{ path: '/repo/a.txt', content: 'x' }, { path: '/repo/.claude/settings.json', content: '{}' }] });
  assert.equal(nested.denied?.argument, 'files[1].path');
  assert.equal((await call('upload_file', { source: 'https://x.example/../.cursor/mcp.json' })).allowed, false, 'a URL read as the relative path a naive server makes of it');
  // What names no file, or a URL to elsewhere, passes; so does text in a content field.
  assert.equal((await call('write_file', { path: '/repo/notes.txt', content: 'a\u0001b', source: '', target: 3 })).allowed, true);
  assert.equal((await call('upload_file', { source: 'https://93.184.215.14/report.pdf' })).allowed, true);
});

test('operands: a value starting with - is refused (mcp-server-git option injection)', async () => {
  const call = setup(`mcp:
  security:
    toolAccess:
      allowedTools:
        - { pattern: git_diff, operands: [target, paths] }
`);
  assert.equal((await call('git_diff', { target: 'main' })).allowed, true);
  const d = await call('git_diff', { target: '--output=/home/u/.bashrc' });
  assert.equal(d.denied?.rule, 'allowedTools[0].operands');
  assert.equal(d.denied?.argument, 'target');
  assert.equal((await call('git_diff', { target: 'main', paths: ['a.txt', '-p'] })).denied?.argument, 'paths');
});

test('CEL conditions: true allows, false or an error refuses', async () => {
  const call = setup(`mcp:
  security:
    toolAccess:
      allowedTools:
        - pattern: search
          when: 'principal.roles.exists(r, r == "admin") || args.limit <= 100'
`);
  assert.equal((await call('search', { limit: 50 })).allowed, true);
  assert.equal((await call('search', { limit: 500 })).denied?.rule, 'allowedTools[0].when');
  assert.equal((await call('search', { limit: 500 }, { principal: { subject: 'root', method: 't', roles: ['admin'] } })).allowed, true);
  assert.equal((await call('search', {})).denied?.rule, 'allowedTools[0].when', 'a missing field is not true');
});

test('CEL compile errors name the YAML path, line and the position in the expression', () => {
  assert.match(celProblem('args.limit <= ') ?? '', /line 1, column 12/);
  assert.match(celProblem('nope == 1') ?? '', /unknown variable 'nope'/);
  assert.match(celProblem('args.x.frobnicate()') ?? '', /unknown function 'frobnicate'.*column 7/);
  assert.equal(celProblem('time.getHours("UTC") < 18 && "private-data" in session.labels && size(args.q) < 10'), undefined);
  try {
    loadConfigText(`mcp:
  security:
    toolAccess:
      allowedTools:
        - pattern: search
          when: "args.limit <= && true"
`);
    assert.fail('should not load');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.problems[0].path, 'mcp.security.toolAccess.allowedTools.0.when');
    assert.equal(e.problems[0].line, 6);
    assert.match(e.problems[0].message, /CEL: .*line 1, column 12/, "the operator missing its operand");
  }
});

test('a flow rule denies an external sink after a private-data result, across two calls', async () => {
  const call = setup(`mcp:
  security:
    toolAccess: { defaultPolicy: allow }
    toolLabels:
      "get_private_repo": [private-data]
      "create_issue": [external-sink]
    flowRules:
      - { name: no-exfiltration, after: [private-data], deny: [external-sink] }
`);
  const first = await call('get_private_repo', {});
  assert.deepEqual(first.labels, ['private-data']);
  assert.equal((await call('create_issue', {})).allowed, true, 'a clean session may use the sink');
  const tainted = { session: { id: 's', labels: new Set(first.labels) } };
  const d = await call('create_issue', { body: 'x' }, tainted);
  assert.equal(d.denied?.rule, 'flowRules[0]: no-exfiltration');
  assert.equal((await call('get_private_repo', {}, tainted)).allowed, true);
});

test('quotas count per identity, per tool or per server', async () => {
  const call = setup(`mcp:
  security:
    toolAccess:
      allowedTools:
        - { pattern: "calendar.*", conditions: [{ maxEventsPerDay: 2 }] }
        - { pattern: "mail.*", conditions: [{ maxEventsPerMinute: 1, per: tool }] }
        - { pattern: "fs.*", conditions: [{ maxEventsPerHour: 1, per: server }] }
`);
  const bob = { principal: { subject: 'bob', method: 't', roles: [] } };
  assert.equal((await call('calendar.create', {})).allowed, true);
  assert.equal((await call('calendar.list', {})).allowed, true);
  const third = await call('calendar.create', {});
  assert.equal(third.denied?.rule, 'allowedTools[0].conditions[0]');
  assert.ok((third.retryAfterSeconds ?? 0) > 0);
  assert.equal((await call('calendar.create', {}, bob)).allowed, true, 'per identity: bob has his own');
  assert.equal((await call('mail.send', {})).allowed, true);
  assert.equal((await call('mail.send', {}, bob)).allowed, false, 'per tool: shared by everyone');
  assert.equal((await call('mail.read', {})).allowed, true, 'per tool: another tool');
  assert.equal((await call('fs.read', {})).allowed, true);
  assert.equal((await call('fs.write', {}, bob)).allowed, false, 'per server: every tool and caller');
});
