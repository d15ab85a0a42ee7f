/**
 * Horizontal scale, end to end with real everything: three `portcullis run` replicas (separate
 * state directories) behind HAProxy (round robin, no stickiness), sharing a Redis of the test's
 * own (killed and restarted mid-traffic; the machine's 6379 is never touched) and one PostgreSQL
 * event store. Clients: the v1 SDK over 2025-11-25 and the v2 client over 2026-07-28. Approvals
 * and quarantined results live in that Redis too: a call waiting on one replica is approved
 * through another, a result withheld on one is reviewed through another.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { Redis } from 'ioredis';
import { INJECTED_PAGE } from '../fixtures/servers/content-server.ts';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { freePort, readAudit, rpcError, runCli, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';
import { startHaproxy, type LoadBalancer } from '../helpers/load-balancer.ts';
import { legacyClient, modernClient } from '../helpers/http-clients.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';
import { privateRedis, type PrivateRedis } from '../helpers/redis.ts';

const TOKEN = 'e2e-admin-token-replicas-51c0e';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;
const PREFIX = 'e2e-replicas:';
const BURST = 8;

const config = (redisUrl: string, pgUrl: string, lbPort: number) => `
mcp:
  # The balancer's name for the gateway is the Host clients send (DNS-rebinding guard).
  listen: {host: 127.0.0.1, port: 0, path: /mcp, allowedHosts: ["127.0.0.1:${lbPort}", "127.0.0.1"], trustedProxies: ["127.0.0.1"]}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
  state: {dir: "\${DIR}/state", url: "${redisUrl}", keyPrefix: "${PREFIX}", commandTimeoutMs: 2000}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum, trigger-sampling-request, {pattern: get-env, approval: required}]
    # echo returns its argument: an injection sent in it is flagged on the way in, so that the
    # result carrying it is quarantined on the way out.
    inspection: {injection: {arguments: {high: flag, critical: flag}}}
    # Per session and tool, refilled so slowly that a burst is all a session gets.
    rateLimiting: {requestsPerMinute: 0.001, burstSize: ${BURST}, cooldownSeconds: 0}
    audit:
      destinations:
        - {type: file, path: "\${AUDIT}"}
        - {type: postgres, url: "${pgUrl}"}
`;

/** For the CLI: the same Redis, no admin listener, so `approvals`/`quarantine --config` use Redis itself. */
const cliConfig = (dir: string, redisUrl: string) => `
mcp:
  state: {dir: "${dir}/cli-state", url: "${redisUrl}", keyPrefix: "${PREFIX}"}
  security:
    audit:
      destinations: [{type: file, path: "${dir}/cli-audit.jsonl"}]
`;

interface Pending {
  id: string;
  tool: string;
}

interface Replica {
  gw: RunningGateway;
  id: string;
  admin: string;
  mcpAddress: string;
  adminPort: number;
}

async function startReplica(redisUrl: string, pgUrl: string, lbPort: number): Promise<Replica> {
  // Three gateways start at once on a shared 2-core machine: give them time (no timing is asserted).
  const gw = await startGateway(config(redisUrl, pgUrl, lbPort), [], { startTimeoutMs: 180_000 });
  const id = /replica ([0-9a-f]+): sessions/.exec(gw.stderr())![1];
  const admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
  return { gw, id, admin, mcpAddress: new URL(gw.url).host, adminPort: Number(new URL(admin).port) };
}

const echo = (c: { callTool: Client['callTool'] }, message: string) => c.callTool({ name: 'echo', arguments: { message } });

/** Which replicas recorded a tool call of this session (each replica has its own audit file). */
function servedBy(replicas: Replica[], session: string): string[] {
  return replicas.filter((r) => readAudit(r.gw.auditPath).some((e) => e.event === 'tool_invoked' && e.session === session)).map((r) => r.id);
}

describe('three replicas behind HAProxy on Redis and PostgreSQL', () => {
  const dir = tempDir();
  const tokenFile = join(dir, 'admin.token');
  writeFileSync(tokenFile, TOKEN + '\n', { mode: 0o600 });
  const cliFile = join(dir, 'cli.yaml');
  let redis: PrivateRedis;
  let db: TempDatabase;
  let lb: LoadBalancer;
  const replicas: Replica[] = [];
  const live = () => replicas.filter((r) => r.gw.proc.exitCode === null && r.gw.proc.signalCode === null);
  let legacy: { client: Client; transport: StreamableHTTPClientTransport };

  before(async () => {
    redis = await privateRedis();
    writeFileSync(cliFile, cliConfig(dir, redis.url));
    const pg = await tempDatabase();
    if (typeof pg === 'string') throw new Error(pg);
    db = pg;
    const lbPort = await freePort();
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(redis.url, db.url, lbPort));
    lb = await startHaproxy(dir, lbPort, replicas.map((r) => ({ address: r.mcpAddress, healthPort: r.adminPort })));
  });

  after(async () => {
    await legacy?.client.close().catch(() => {});
    await lb?.stop();
    await Promise.all(live().map((r) => r.gw.stop()));
    await redis?.kill();
    await db?.drop();
  });

  test('the v1 SDK client (2025-11-25) lists and calls tools; its one session is served by several replicas', async () => {
    legacy = await legacyClient(lb.url);
    assert.equal(legacy.transport.protocolVersion, '2025-11-25');
    const sid = legacy.transport.sessionId!;
    assert.ok(sid);
    const tools = (await legacy.client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(tools, ['echo', 'get-env', 'get-sum', 'trigger-sampling-request']);
    for (let i = 0; i < 4; i++) assert.equal(textOf(await echo(legacy.client, `m${i}`)), `Echo: m${i}`);
    for (const r of replicas) await waitForAudit(r.gw, (e) => e.event === 'gateway_started');
    await sleep(300); // audit files are written in batches
    assert.ok(servedBy(replicas, sid).length >= 2, `calls of one session went to ${servedBy(replicas, sid).length} replica(s)`);
  });

  test('sampling: the server asks through the replica running the call; the answer comes back through another', async () => {
    let asked = 0;
    for (let i = 0; i < 3; i++) {
      const r = await legacy.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: `p${i}`, maxTokens: 5 } }, undefined, { timeout: 30_000 });
      assert.match(textOf(r), /sampled across replicas/);
    }
    legacy.client.setRequestHandler(CreateMessageRequestSchema, async () => {
      asked++;
      return { role: 'assistant', model: 'stub', stopReason: 'endTurn', content: { type: 'text', text: 'again' } };
    });
    assert.match(textOf(await legacy.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'q', maxTokens: 5 } })), /again/);
    assert.equal(asked, 1);
  });

  test('the v2 client (2026-07-28, no session) lists and calls tools through the balancer', async () => {
    const c = await modernClient(lb.url);
    try {
      assert.deepEqual((await c.listTools()).tools.map((t) => t.name).sort(), ['echo', 'get-env', 'get-sum', 'trigger-sampling-request']);
      for (let i = 0; i < 3; i++) assert.equal(textOf(await c.callTool({ name: 'get-sum', arguments: { a: i, b: 1 } })), `The sum of ${i} and 1 is ${i + 1}.`);
    } finally {
      await c.close();
    }
  });

  test('the session survives kill -9 of the replica that created it', async () => {
    const sid = legacy.transport.sessionId!;
    const r = new Redis(redis.url);
    const stored = JSON.parse((await r.get(`${PREFIX}session:${createHash('sha256').update(sid).digest('hex')}`))!) as { createdBy: string; protocolVersion: string };
    r.disconnect();
    assert.equal(stored.protocolVersion, '2025-11-25');
    const creator = replicas.find((x) => x.id === stored.createdBy)!;
    assert.ok(creator, 'the record names a running replica');
    creator.gw.proc.kill('SIGKILL');
    await new Promise((res) => creator.gw.proc.once('exit', res));
    for (let i = 0; i < 3; i++) assert.equal(textOf(await echo(legacy.client, `after-${i}`)), `Echo: after-${i}`);
    assert.equal(legacy.transport.sessionId, sid, 'same session, no new initialize');
  });

  test('a burst across replicas is limited once (one bucket in Redis, not one per replica)', async () => {
    const c = await legacyClient(lb.url);
    try {
      let ok = 0;
      const refused: number[] = [];
      for (let i = 0; i < BURST + 6; i++) {
        try {
          await c.client.callTool({ name: 'get-sum', arguments: { a: 1, b: i } });
          ok++;
        } catch (err) {
          refused.push((err as { code: number }).code);
        }
      }
      assert.equal(ok, BURST);
      assert.deepEqual(refused, new Array(6).fill(-32010));
    } finally {
      await c.client.close();
    }
  });

  test('`portcullis lockdown on` through one replica refuses the next call on every replica', async () => {
    const via = live()[0];
    const on = await runCli(['lockdown', 'on', '--reason', 'e2e replicas', '--url', via.admin, '--token-file', tokenFile]);
    assert.equal(on.status, 0, on.stderr);
    try {
      for (const r of live()) {
        const c = await modernClient(r.gw.url);
        try {
          const e = await rpcError(echo(c as never, 'locked?'));
          assert.equal(e.code, -32018, `replica ${r.id}`);
        } finally {
          await c.close();
        }
      }
    } finally {
      const off = await runCli(['lockdown', 'off', '--url', via.admin, '--token-file', tokenFile]);
      assert.equal(off.status, 0, off.stderr);
    }
    await sleep(1500); // the change reaches every replica within 1 s
    assert.equal(textOf(await echo(legacy.client, 'unlocked')), 'Echo: unlocked');
  });

  test('pins are one set for every replica: `portcullis pins revoke` on the shared state hides a tool on all of them; approve restores it', async () => {
    const cfg = join(dir, 'pins-cli.yaml');
    writeFileSync(cfg, `mcp:\n  state: {url: "${redis.url}", keyPrefix: "${PREFIX}"}\n`);
    const list = await runCli(['pins', 'list', '--json', '--config', cfg]);
    assert.equal(list.status, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Array<{ server: string; kind: string; name: string; state: string }>;
    assert.ok(rows.some((r) => r.server === 'everything' && r.kind === 'tool' && r.name === 'echo' && r.state === 'pinned'), list.stdout);
    assert.ok(!live().some((r) => /pins are kept per replica/.test(r.gw.stderr())));
    // What each live replica answers to an echo call, straight to it (not through the balancer).
    const each = () =>
      Promise.all(
        live().map(async (r) => {
          const c = await modernClient(r.gw.url);
          try {
            return await echo(c as never, 'pinned?').then(() => 'ok', (e: { code: number }) => e.code);
          } finally {
            await c.close();
          }
        }),
      );
    const until = async (want: string | number) => {
      let got: Array<string | number> = [];
      for (let i = 0; i < 40; i++) {
        got = await each();
        if (got.every((g) => g === want)) return;
        await sleep(100);
      }
      assert.fail(`every replica should answer ${want}, got ${got.join(', ')}`);
    };
    const unknown = await (async () => {
      const c = await modernClient(lb.url);
      try {
        return (await rpcError(c.callTool({ name: 'no-such-tool', arguments: {} }))).code;
      } finally {
        await c.close();
      }
    })();
    const revoke = await runCli(['pins', 'revoke', '--config', cfg, '--reason', 'e2e', 'everything__echo']);
    assert.equal(revoke.status, 0, revoke.stderr);
    await until(unknown); // a revoked tool is refused as one that does not exist, on every replica
    const approve = await runCli(['pins', 'approve', '--config', cfg, 'everything__echo']);
    assert.equal(approve.status, 0, approve.stderr);
    await until('ok');
  });

  const adminGet = (r: Replica, path: string) =>
    fetch(`${r.admin}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));

  test('an approval requested through one replica is listed by the CLI on Redis, approved through another replica\'s admin API, and the waiting call completes', async () => {
    const [a, b] = live();
    // Polled on replica b's admin API (a fetch, not a CLI process per try): the call waits on a.
    const waitListed = async (tool: string): Promise<Pending> => {
      for (let i = 0; i < 150; i++) {
        const found = ((await adminGet(b, '/admin/approvals')).body.approvals as Pending[]).find((p) => p.tool === tool);
        if (found) return found;
        await sleep(100);
      }
      throw new Error(`no ${tool} approval listed`);
    };
    const c = await legacyClient(a.gw.url);
    try {
      const call = c.client.callTool({ name: 'get-env', arguments: {} }, undefined, { timeout: 120_000 });
      const pending = await waitListed('get-env');
      const listed = await runCli(['approvals', 'list', '--json', '--config', cliFile]);
      assert.equal(listed.status, 0, listed.stderr);
      assert.deepEqual((JSON.parse(listed.stdout) as Pending[]).map((p) => p.id), [pending.id], 'the CLI on Redis lists it too');
      const yes = await runCli(['approvals', 'approve', pending.id, '--reason', 'across replicas', '--url', b.admin, '--token-file', tokenFile]);
      assert.equal(yes.status, 0, yes.stderr);
      assert.ok(textOf(await call).length > 0, 'the call waiting on the other replica ran');
      const granted = await waitForAudit(a.gw, (x) => x.event === 'approval_granted' && (x.detail as Record<string, unknown>).approvalId === pending.id);
      assert.equal((granted.detail as Record<string, unknown>).via, 'admin-api');

      // Refused by the CLI writing to Redis itself (no admin listener in its config), wherever the call waits.
      const refused = rpcError(c.client.callTool({ name: 'get-env', arguments: {} }, undefined, { timeout: 120_000 }));
      const next = await waitListed('get-env');
      const no = await runCli(['approvals', 'deny', next.id, '--config', cliFile]);
      assert.equal(no.status, 0, no.stderr);
      assert.match(no.stdout, /refused in redis:\/\//);
      const e = await refused;
      assert.equal(e.data?.reason, 'APPROVAL_DENIED');
      const denied = await waitForAudit(a.gw, (x) => x.event === 'approval_denied' && (x.detail as Record<string, unknown>).approvalId === next.id);
      assert.equal((denied.detail as Record<string, unknown>).via, 'shared-state');
    } finally {
      await c.client.close();
    }
  });

  test('a result quarantined on one replica is listed and shown through another\'s admin API and released with the CLI on Redis', async () => {
    const [a, b] = live();
    const c = await legacyClient(a.gw.url);
    let id: string;
    try {
      const notice = textOf(await echo(c.client, INJECTED_PAGE));
      id = /as (q-[0-9a-f]{24})\./.exec(notice)?.[1] ?? assert.fail(`no quarantine notice: ${notice}`);
    } finally {
      await c.client.close();
    }
    const admin = (path: string) => adminGet(b, path);
    const list = await admin('/admin/quarantine');
    assert.equal(list.status, 200);
    assert.ok((list.body.items as Array<{ id: string; tool: string }>).some((i) => i.id === id && i.tool === 'echo'), `replica ${b.id} lists ${id}`);
    const item = await admin(`/admin/quarantine/${id}`);
    assert.equal(item.status, 200);
    assert.match(String(item.body.original), /ignore all previous instructions/);
    const rel = await runCli(['quarantine', 'release', id, '--by', 'e2e-operator', '--json', '--config', cliFile]);
    assert.equal(rel.status, 0, rel.stderr);
    const after = await admin(`/admin/quarantine/${id}`);
    assert.equal((after.body.released as { by: string }).by, 'e2e-operator', 'the release is seen by every replica');
  });

  test('Redis stopped mid-traffic: calls are refused with STATE_UNAVAILABLE and /readyz says not ready; restarted: calls go through again', async () => {
    const c = await modernClient(lb.url);
    try {
      assert.equal(textOf(await echo(c as never, 'before')), 'Echo: before');
      await redis.kill();
      await sleep(300);
      for (let i = 0; i < 4; i++) {
        const e = await rpcError(echo(c as never, `down-${i}`));
        assert.equal(e.code, -32017);
        assert.equal(e.data?.reason, 'STATE_UNAVAILABLE');
      }
      for (const r of live()) assert.equal((await fetch(`${r.admin}/readyz`)).status, 503, `replica ${r.id} /readyz`);
      // A new 2025 session cannot be created without its store: refused, clearly.
      await assert.rejects(legacyClient(lb.url), /503|STATE_UNAVAILABLE|unavailable/i);
      await redis.restart();
      let back = false;
      for (let i = 0; i < 100 && !back; i++) {
        back = await echo(c as never, 'after').then(() => true, () => false);
        if (!back) await sleep(200);
      }
      assert.ok(back, 'calls go through again once Redis is back');
      for (const r of live()) assert.equal((await fetch(`${r.admin}/readyz`)).status, 200, `replica ${r.id} /readyz`);
      const fresh = await legacyClient(lb.url);
      assert.equal(textOf(await echo(fresh.client, 'new session')), 'Echo: new session');
      await fresh.client.close();
    } finally {
      await c.close();
    }
  });

  /** A tools/list with this session id, straight to one replica (not through the balancer). */
  const listOn = (r: Replica, sid: string) =>
    fetch(r.gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });

  test('DELETE on one replica ends the session on all of them', async () => {
    const c = await legacyClient(lb.url);
    const sid = c.transport.sessionId!;
    for (let i = 0; i < 3; i++) await echo(c.client, `d${i}`);
    await c.transport.terminateSession();
    for (const r of live()) assert.equal((await listOn(r, sid)).status, 404, `replica ${r.id}`);
    await c.client.close();
  });

  test('`portcullis revoke --session` through one replica ends the session on all of them, held or not', async () => {
    const c = await legacyClient(lb.url);
    const sid = c.transport.sessionId!;
    await echo(c.client, 'before revocation');
    const revoke = await runCli(['revoke', '--session', sid, '--url', live()[0].admin, '--token-file', tokenFile]);
    assert.equal(revoke.status, 0, revoke.stderr);
    await sleep(1500); // the change reaches every replica within 1 s
    for (const r of live()) assert.equal((await listOn(r, sid)).status, 404, `replica ${r.id}`);
    await c.client.close().catch(() => {});
  });

  test('every replica wrote its own hash chain to the one PostgreSQL table; `audit verify --db` checks them all', async () => {
    await legacy.client.close();
    for (const r of live()) assert.equal(await r.gw.stop(), 0);
    const strict = await runCli(['audit', 'verify', '--db', db.url]);
    assert.notEqual(strict.status, 0, 'the killed replica left its chain without a seal');
    assert.match(strict.stdout + strict.stderr, /without its seal/);
    const open = await runCli(['audit', 'verify', '--db', db.url, '--allow-open', '--json']);
    assert.equal(open.status, 0, open.stdout + open.stderr);
    const out = JSON.parse(open.stdout) as { ok: boolean; results: Record<string, { chains: { end: string }[] }> };
    assert.equal(out.ok, true);
    const result = out.results['event store (postgres)'];
    assert.ok(result.chains.length >= 3, `${result.chains.length} chains`);
    assert.equal(result.chains.filter((c) => c.end === 'sealed').length, 2, 'the two replicas stopped cleanly sealed theirs');
  });
});
