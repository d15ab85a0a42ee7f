/**
 * Content inspection end to end: a real MCP server (v1 SDK, stdio: test/fixtures/servers/
 * content-server.ts) behind `portcullis wrap`, driven by the MCP Inspector CLI, and once behind
 * `portcullis run` with the v1 SDK client. An injected result is quarantined (the agent sees the
 * notice, `portcullis quarantine` shows the original), secrets are redacted, terminal escapes
 * stripped, a secret in an argument refused (or redacted, per config), a benign result untouched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ANSI_TEXT, BENIGN_TEXT, FAKE_AWS_ID, FAKE_JWT, FIXTURE_DUMP, GITHUB_TOKEN as DUMP_TOKEN, INJECTED_PAGE, SHORT_PEM, SPLIT_KEY } from '../fixtures/servers/content-server.ts';
import { BIN, NODE, readAudit, ROOT, startGateway, stopProcess, textOf, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';
import { explain, firstText, inspector, stopInspectors, type InspectorRun } from '../helpers/inspector-cli.ts';

const SERVER = join(ROOT, 'test', 'fixtures', 'servers', 'content-server.ts');
const GITHUB_TOKEN = `ghp_${'a1B2c3D4e5'.repeat(3)}a1B2c3`;

const config = (inspection = '') => `mcp:
  state: {dir: "\${DIR}/state"}
  security:
    toolAccess: {defaultPolicy: allow}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
${inspection}`;

const cli = (...args: string[]) => spawnSync(NODE, [BIN, 'quarantine', ...args], { encoding: 'utf8', timeout: 60_000 });

after(stopInspectors);

describe('through portcullis wrap, driven by the Inspector CLI', () => {
  const cfg = writeConfig(config());
  const target = ['--', NODE, BIN, 'wrap', '--config', cfg.path, '--', NODE, SERVER];
  const call = (tool: string, ...args: string[]) => inspector(['--method', 'tools/call', '--tool-name', tool, ...args, ...target]);
  let injected: InspectorRun, leaky: InspectorRun, ansi: InspectorRun, benign: InspectorRun, secretArg: InspectorRun, resource: InspectorRun, prompt: InspectorRun;
  let audit: Record<string, unknown>[];

  before(async () => {
    // Each run starts a gateway and a server; three at a time keep a loaded machine under the connect timeout.
    [injected, leaky, ansi] = await Promise.all([call('fetch_page', '--tool-arg', 'page=widgets'), call('read_config'), call('build_log')]);
    [benign, secretArg] = await Promise.all([call('benign'), call('store', '--tool-arg', `value=token ${GITHUB_TOKEN}`)]);
    [resource, prompt] = await Promise.all([
      inspector(['--method', 'resources/read', '--uri', 'notes://today', ...target]),
      inspector(['--method', 'prompts/get', '--prompt-name', 'summarize', ...target]),
    ]);
    audit = readAudit(cfg.auditPath);
  });

  test('(a) an injected result is quarantined: the agent sees the notice; quarantine list/show has the original; audited', () => {
    // The notice is an error result (the tool's output is withheld): the Inspector prints it and says so.
    assert.equal(injected.error?.code, 'tool_is_error', explain(injected));
    const notice = String(firstText(injected));
    const id = /as (q-[0-9a-f]{24})\./.exec(notice)?.[1];
    assert.match(notice, /^\[Portcullis quarantined this result: possible prompt injection \(rule injection\.[a-z-]+\)\. An operator can review it as q-[0-9a-f]{24}\.\]$/);
    assert.equal(injected.result?.isError, true);
    assert.doesNotMatch(injected.stdout, /ignore all previous/);

    const list = cli('list', '--config', cfg.path);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${id}\\s.*fetch_page.*injection\\.`));
    const show = cli('show', id!, '--config', cfg.path, '--json');
    assert.equal(show.status, 0, show.stderr);
    const item = JSON.parse(show.stdout) as { original: string; findings: Array<{ rule: string; path: string }> };
    assert.equal((JSON.parse(item.original) as { content: Array<{ text: string }> }).content[0]!.text, INJECTED_PAGE);
    assert.ok(item.findings.every((f) => f.path === '/content/0/text'));

    const q = audit.find((r) => r.event === 'content_quarantined' && r.tool === 'fetch_page');
    assert.ok(q, `events: ${audit.map((r) => r.event).join(', ')}`);
    assert.equal((q.detail as { id: string }).id, id);
    assert.ok(audit.some((r) => r.event === 'injection_attempt' && r.tool === 'fetch_page' && r.decision === 'deny'));
    // the monitoring rule for injection attempts fires at once
    assert.ok(audit.some((r) => r.event === 'alert_raised' && /INJECTION/i.test(JSON.stringify(r.detail))), 'alert raised');
    assert.ok(!audit.some((r) => JSON.stringify(r).includes('ignore all previous')), 'the attacker text is not in the audit log');
  });

  test('(a) release marks the item reviewed, audited as quarantine_released, and prints the original', () => {
    const id = /as (q-[0-9a-f]{24})\./.exec(String(firstText(injected)))![1]!;
    const rel = cli('release', id, '--config', cfg.path, '--by', 'alice');
    assert.equal(rel.status, 0, rel.stderr);
    assert.match(rel.stdout, /released by alice/);
    assert.match(rel.stdout, /ignore all previous instructions/);
    assert.match(cli('list', '--config', cfg.path).stdout, new RegExp(`${id}.*released`));
    assert.ok(readAudit(cfg.auditPath).some((r) => r.event === 'quarantine_released' && (r.detail as { id?: string })?.id === id && r.principal === 'alice'));
    assert.notEqual(cli('show', '../../etc/passwd', '--config', cfg.path).status, 0, 'ids are never paths');
  });

  test('(b) secrets in a result are redacted in place; the JSON stays valid; audited without the secret', () => {
    assert.equal(leaky.code, 0, explain(leaky));
    const text = String(firstText(leaky));
    assert.match(text, /aws_access_key_id = \[REDACTED:aws-access-key\]/);
    assert.match(text, /session = \[REDACTED:jwt\]/);
    assert.match(text, /\[REDACTED:private-key\]\nregion = eu-west-1$/);
    assert.ok(!text.includes(FAKE_AWS_ID) && !text.includes(FAKE_JWT) && !text.includes('PRIVATE KEY'));
    const rec = audit.find((r) => r.event === 'secret_redacted' && r.tool === 'read_config');
    assert.ok(rec, `events: ${audit.map((r) => r.event).join(', ')}`);
    const rules = (rec.detail as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule).sort();
    assert.deepEqual(rules, ['secret.aws-access-key', 'secret.jwt', 'secret.private-key']);
    assert.ok(!audit.some((r) => JSON.stringify(r).includes(FAKE_AWS_ID)), 'no secret in the audit log');
  });

  test('(b) prompts/get messages are redacted too; resources/read contents are quarantined', () => {
    assert.equal(prompt.code, 0, explain(prompt));
    assert.match(JSON.stringify(prompt.result?.messages), /\[REDACTED:aws-access-key\]/);
    assert.equal(resource.code, 0, explain(resource));
    const contents = resource.result?.contents as Array<{ uri: string; text: string }>;
    assert.equal(contents[0]!.uri, 'notes://today');
    assert.match(contents[0]!.text, /^\[Portcullis quarantined this result/);
  });

  test('(c) terminal escape sequences are stripped from text content', () => {
    assert.equal(ansi.code, 0, explain(ansi));
    assert.equal(firstText(ansi), 'build passed see log hidden');
    assert.notEqual(firstText(ansi), ANSI_TEXT);
  });

  test('(d) a secret in an argument refuses the call (default), opaquely; the audit names the rule', () => {
    assert.notEqual(secretArg.code, 0, explain(secretArg));
    assert.equal(secretArg.result, undefined);
    assert.doesNotMatch(secretArg.stderr, /github/i, 'the refusal does not explain itself');
    const rec = audit.find((r) => r.event === 'policy_violation' && r.tool === 'store');
    assert.ok(rec, `events: ${audit.map((r) => r.event).join(', ')}`);
    assert.equal(rec.code, 'CONTENT_BLOCKED');
    assert.equal(rec.rule, 'secret.github-token');
    assert.match(JSON.stringify(rec.args), /\[REDACTED:github-token\]/, 'the recorded arguments show where the secret was');
    assert.ok(!audit.some((r) => JSON.stringify(r).includes(GITHUB_TOKEN)), 'the refused secret is not in the audit log');
  });

  test('(e) a benign result passes unchanged and leaves no inspection record', () => {
    assert.equal(benign.code, 0, explain(benign));
    assert.equal(firstText(benign), BENIGN_TEXT);
    assert.ok(!audit.some((r) => r.tool === 'benign' && r.event !== 'tool_invoked'));
    assert.equal(audit.find((r) => r.tool === 'benign')?.reason, undefined);
  });
});

describe('field defect: a short PEM private key (and a key split over two blocks)', () => {
  const cfg = writeConfig(config());
  const target = ['--', NODE, BIN, 'wrap', '--config', cfg.path, '--', NODE, SERVER];
  const call = (tool: string, ...args: string[]) => inspector(['--method', 'tools/call', '--tool-name', tool, ...args, ...target]);
  let dump: InspectorRun, split: InspectorRun, pemArg: InspectorRun, spelledArg: InspectorRun;
  let audit: Record<string, unknown>[];

  before(async () => {
    // One at a time: on a loaded machine parallel runs hit the Inspector's 15 s connect timeout.
    dump = await call('read_fixture');
    split = await call('read_split');
    pemArg = await call('store', '--tool-arg', `value=${SHORT_PEM}`);
    spelledArg = await call('store', '--tool-arg', `value=backup ${[...DUMP_TOKEN].reverse().join('')}`);
    audit = readAudit(cfg.auditPath);
  });

  test('the whole PEM block is redacted in the result, with the AWS keys and the GitHub token beside it', () => {
    assert.equal(dump.code, 0, explain(dump));
    const text = String(firstText(dump));
    assert.ok(SHORT_PEM.length < 140 && FIXTURE_DUMP.includes(SHORT_PEM));
    assert.match(text, /^# deploy\/fixtures\.env\nAWS_ACCESS_KEY_ID=\[REDACTED:aws-access-key\]\n/);
    assert.match(text, /GITHUB_TOKEN=\[REDACTED:github-token\]\nDEPLOY_KEY:\n\[REDACTED:private-key\]\nLOG_LEVEL=info$/);
    assert.ok(!text.includes('PRIVATE KEY') && !text.includes(SHORT_PEM.split('\n')[1]!), text);
    const rec = audit.find((r) => r.event === 'secret_redacted' && r.tool === 'read_fixture');
    assert.ok(rec, `events: ${audit.map((r) => r.event).join(', ')}`);
    const rules = new Set((rec.detail as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule));
    for (const r of ['secret.private-key', 'secret.aws-access-key', 'secret.aws-secret-key', 'secret.github-token']) assert.ok(rules.has(r), `${r} in ${[...rules]}`);
  });

  test('a key id split over two text blocks is redacted in both', () => {
    assert.equal(split.code, 0, explain(split));
    const blocks = (split.result?.content as Array<{ text: string }>).map((c) => c.text);
    assert.deepEqual(blocks, ['key id: [REDACTED:aws-access-key]', '[REDACTED:aws-access-key] (eu-west-1)']);
    assert.ok(!blocks.join('').includes(SPLIT_KEY[0]!.slice(8)));
  });

  test('the PEM key in an argument refuses the call, and so does a token written backwards', () => {
    for (const [run, rule] of [[pemArg, 'secret.private-key'], [spelledArg, 'secret.github-token']] as const) {
      assert.notEqual(run.code, 0, explain(run));
      assert.equal(run.result, undefined);
      assert.ok(audit.some((r) => r.event === 'policy_violation' && r.tool === 'store' && r.code === 'CONTENT_BLOCKED' && r.rule === rule), `${rule}: ${JSON.stringify(audit.filter((r) => r.tool === 'store'))}`);
    }
    assert.ok(!audit.some((r) => JSON.stringify(r).includes(SHORT_PEM.split('\n')[1]!)), 'the key is not in the audit log');
  });
});

describe('configured otherwise: secrets in arguments redacted, injection in results blocked', () => {
  const cfg = writeConfig(config(`    inspection:
      injection: {results: {high: block, critical: block}}
      dlp: {argumentSecrets: redact}`));
  const target = ['--', NODE, BIN, 'wrap', '--config', cfg.path, '--', NODE, SERVER];

  test('the server receives the redacted argument; the injected result is an error', async () => {
    const [stored, blocked] = await Promise.all([
      inspector(['--method', 'tools/call', '--tool-name', 'store', '--tool-arg', `value=token ${GITHUB_TOKEN}`, ...target]),
      inspector(['--method', 'tools/call', '--tool-name', 'fetch_page', '--tool-arg', 'page=x', ...target]),
    ]);
    assert.equal(stored.code, 0, explain(stored));
    assert.equal(firstText(stored), `stored ${'token [REDACTED:github-token]'.length} characters`);
    assert.notEqual(blocked.code, 0, explain(blocked));
    assert.equal(blocked.result, undefined);
    const audit = readAudit(cfg.auditPath);
    assert.ok(audit.some((r) => r.event === 'secret_redacted' && r.tool === 'store'));
    assert.ok(audit.some((r) => r.event === 'policy_violation' && r.tool === 'fetch_page' && r.code === 'CONTENT_BLOCKED'));
  });
});

describe('through portcullis run with the v1 SDK client', () => {
  let gw: RunningGateway;
  before(async () => {
    const server = `  servers: [{name: content, command: "\${NODE}", args: [${JSON.stringify(SERVER)}]}]\n`;
    gw = await startGateway(config().replace("mcp:\n", `mcp:\n${server}`));
  });
  after(async () => {
    if (gw) await stopProcess(gw.proc);
  });

  test('a secret in a result is redacted over Streamable HTTP', async () => {
    const client = new Client({ name: 'content-e2e', version: '0.0.1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    try {
      const r = await client.callTool({ name: 'read_config', arguments: {} });
      const text = textOf(r);
      assert.match(text, /\[REDACTED:aws-access-key\]/);
      assert.ok(!text.includes(FAKE_AWS_ID));
      const plain = await client.callTool({ name: 'benign', arguments: {} });
      assert.equal(textOf(plain), BENIGN_TEXT);
    } finally {
      await client.close();
    }
  });
});
