/**
 * Incident response on a live gateway (`portcullis run`, real server-everything, v1 SDK client):
 * the lockdown switched on and off by the CLI through the admin API while a client keeps calling,
 * the emergency allowlist, the decision audited, the lockdown surviving a restart; revocation
 * ending a session; a server isolated and restored; the admin listener's authentication,
 * metrics and health endpoints.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { BIN, EVERYTHING, NODE, readAudit, rpcError, runCli, startGateway, tempDir, textOf, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

const TOKEN = 'e2e-admin-token-3f1c9a7b5d';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;

const CONFIG = `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum]
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'incident-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const echo = (c: Client, message = 'hi') => c.callTool({ name: 'echo', arguments: { message } });

describe('incident response on a running gateway', () => {
  const dir = tempDir();
  const tokenFile = join(dir, 'admin.token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  let gw: RunningGateway;
  let admin: string;
  const cli = (...args: string[]) => runCli([...args, '--url', admin, '--token-file', tokenFile]);
  const start = async () => {
    gw = await startGateway(CONFIG, [], { dir });
    admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
  };

  before(start);
  after(async () => {
    await gw?.stop();
  });

  test('the admin listener wants the token for everything but the probes', async () => {
    assert.equal((await fetch(`${admin}/healthz`)).status, 200);
    const ready = await fetch(`${admin}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready' });
    assert.equal((await fetch(`${admin}/metrics`)).status, 401);
    assert.equal((await fetch(`${admin}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${admin}/admin/lockdown`, { method: 'POST', body: '{"enabled":true}' })).status, 401);
    const detailed = await fetch(`${admin}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual(await detailed.json(), { status: 'ready', servers: { everything: 'ready' } });
    const bad = await fetch(`${admin}/admin/lockdown`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"enabled":"yes"}' });
    assert.equal(bad.status, 400);
  });

  test('lockdown: live traffic is refused from the next call on, but the allowlist; audited; survives a restart', async () => {
    const client = await connect(gw.url);
    // Live traffic: a client calling in a loop while the operator acts.
    let stop = false;
    const outcomes: string[] = [];
    const traffic = (async () => {
      while (!stop) outcomes.push(await echo(client).then(() => 'ok', (e: { code?: number }) => String(e.code)));
    })();
    while (outcomes.length < 5) await new Promise((r) => setTimeout(r, 20));
    const on = await cli('lockdown', 'on', '--allow', 'get-sum', '--reason', 'e2e incident');
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stdout, /lockdown ON via http/);
    // The admin API answers after the switch is in force: the very next call is refused.
    const refused = await rpcError(echo(client));
    assert.equal(refused.code, -32018);
    assert.equal(refused.data?.reason, 'LOCKDOWN');
    assert.match(refused.message, /emergency lockdown/);
    const sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    assert.match(textOf(sum), /5/, 'the emergency allowlist still works');
    stop = true;
    await traffic;
    const firstRefused = outcomes.indexOf('-32018');
    assert.ok(firstRefused > 0, `traffic was flowing, then refused: ${outcomes.slice(0, 20).join(',')}`);
    assert.ok(outcomes.slice(firstRefused).every((o) => o === '-32018'), 'nothing got through after the switch');

    const switched = await waitForAudit(gw, (r) => r.event === 'lockdown_enabled');
    assert.equal(switched.reason, 'e2e incident');
    assert.deepEqual((switched.detail as { allow: string[] }).allow, ['get-sum']);
    const denial = await waitForAudit(gw, (r) => r.event === 'tool_denied' && r.code === 'LOCKDOWN');
    assert.equal(denial.rule, 'lockdown');
    assert.equal(denial.decision, 'deny');
    await client.close();

    // Restart: still locked down.
    assert.equal(await gw.stop(), 0);
    await start();
    const again = await connect(gw.url);
    assert.equal((await rpcError(echo(again))).data?.reason, 'LOCKDOWN');
    await waitForAudit(gw, (r) => r.event === 'lockdown_enabled' && Boolean((r.detail as { atStart?: boolean }).atStart));
    const status = await runCli(['lockdown', 'status', '--state-dir', join(dir, 'portcullis-state')]);
    assert.equal(JSON.parse(status.stdout).enabled, true);
    const off = await cli('lockdown', 'off');
    assert.equal(off.status, 0, off.stderr);
    assert.match(textOf(await echo(again, 'back')), /back/);
    await waitForAudit(gw, (r) => r.event === 'lockdown_disabled');
    await again.close();
  });

  test('metrics: requests, decisions by reason, latency per tool, upstream health, lockdown', async () => {
    const res = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /portcullis_requests_total\{method="tools\/call",decision="allow"\} \d+/);
    assert.match(text, /portcullis_decisions_total\{decision="deny",reason="LOCKDOWN"\} \d+/);
    assert.match(text, /portcullis_tool_call_duration_seconds_bucket\{le="[\d.]+",server="everything",tool="echo"\} \d+/);
    assert.match(text, /portcullis_upstream_up\{server="everything"\} 1/);
    assert.match(text, /portcullis_lockdown 0/);
    assert.match(text, /portcullis_audit_events_total\{event="lockdown_enabled"\} 1/);
  });

  test('revoke --all ends the session: the client must start over', async () => {
    const client = await connect(gw.url);
    await echo(client);
    const r = await cli('revoke', '--all', '--reason', 'e2e');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /revoked everything via http.*[1-9]\d* session\(s\) ended/);
    await assert.rejects(echo(client), /404|Session not found|session/i);
    await client.close().catch(() => {});
    const fresh = await connect(gw.url);
    assert.match(textOf(await echo(fresh, 'new session')), /new session/);
    await fresh.close();
    const rec = await waitForAudit(gw, (x) => x.event === 'tokens_revoked');
    assert.equal((rec.detail as { all: boolean }).all, true);
  });

  test('server disable isolates the upstream (not listed, not called, not restarted); enable restores it', async () => {
    const client = await connect(gw.url);
    assert.equal((await cli('server', 'disable', 'everything', '--reason', 'compromised')).status, 0);
    const err = await rpcError(echo(client));
    assert.equal(err.data?.reason, 'UPSTREAM_UNAVAILABLE');
    assert.deepEqual((await client.listTools()).tools, []);
    const ready = await fetch(`${admin}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { status: 'not ready', servers: { everything: 'disabled' } });
    assert.equal((await cli('server', 'enable', 'everything')).status, 0);
    assert.match(textOf(await echo(client, 'restored')), /restored/);
    await waitForAudit(gw, (r) => r.event === 'server_disabled' && r.reason === 'compromised');
    await waitForAudit(gw, (r) => r.event === 'server_enabled');
    await client.close();
  });
});

describe('a wrapped gateway (no admin listener) follows the incident state file', () => {
  test('lockdown and lift reach a running `portcullis wrap` through mcp.state.dir', async (t) => {
    const cfg = writeConfig(`
mcp:
  state: {dir: "\${DIR}/state"}
  security:
    toolAccess: {defaultPolicy: allow}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
    const w = wrapCommand(['node', EVERYTHING, 'stdio'], cfg.path);
    const client = new Client({ name: 'wrap-incident', version: '1' });
    await client.connect(new StdioClientTransport({ command: w.command, args: w.args, stderr: 'ignore' }));
    try {
      assert.match(textOf(await echo(client, 'before')), /before/);
      const stateDir = join(cfg.dir, 'state');
      const on = spawnSync(NODE, [BIN, 'lockdown', 'on', '--state-dir', stateDir, '--reason', 'wrap e2e'], { encoding: 'utf8' });
      assert.equal(on.status, 0, on.stderr);
      assert.match(on.stdout, /lockdown ON in .*incident\.json/);
      const t0 = performance.now();
      let code: unknown;
      while (performance.now() - t0 < 5000) {
        code = await echo(client).then(() => 'ok', (e: { data?: { reason?: string } }) => e.data?.reason);
        if (code === 'LOCKDOWN') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(code, 'LOCKDOWN');
      t.diagnostic(`lockdown in force in the wrapped gateway ${Math.round(performance.now() - t0)} ms after the CLI returned`);
      assert.equal(spawnSync(NODE, [BIN, 'lockdown', 'off', '--state-dir', stateDir], { encoding: 'utf8' }).status, 0);
      let back = '';
      for (const t1 = performance.now(); performance.now() - t1 < 5000 && !back; ) {
        back = await echo(client, 'after').then((r) => textOf(r), () => '');
        if (!back) await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(back, /after/);
    } finally {
      await client.close();
    }
    const audit = readAudit(cfg.auditPath);
    assert.ok(audit.some((r) => r.event === 'lockdown_enabled' && r.reason === 'wrap e2e'));
    assert.ok(audit.some((r) => r.event === 'lockdown_disabled'));
  });
});
