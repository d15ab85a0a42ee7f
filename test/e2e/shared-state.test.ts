/**
 * Two `portcullis run` replicas (separate state directories) sharing state in a real Redis
 * (`mcp.state.url`; a private redis-server so it can be stopped), a real server-everything behind
 * each, v1 SDK clients: a burst spread over both replicas is limited once; a lockdown made through
 * one replica's admin API refuses the next call on the other; Redis stopped mid-traffic gives
 * STATE_UNAVAILABLE on every call (audited) and /readyz 503, and both recover when it is back.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient } from '../helpers/gateway-client.ts';
import { rpcError, runCli, startGateway, textOf, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';
import { privateRedis, testPrefix, type PrivateRedis } from '../helpers/redis.ts';

const TOKEN = 'e2e-shared-state-admin-token-9d2e';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;

const config = (redisUrl: string, prefix: string) => `
mcp:
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
  state:
    url: ${redisUrl}
    keyPrefix: "${prefix}"
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum]
    rateLimiting:
      requestsPerMinute: 60000
      burstSize: 5000
      perPrincipalTool: {requestsPerMinute: 1, burstSize: 4}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

const connect = (url: string) => connectClient(url, 'shared-state-e2e');

const adminOf = (gw: RunningGateway) => /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];

async function until<T>(probe: () => Promise<T | undefined>, what: string, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

describe('two replicas sharing state in Redis', () => {
  let redis: PrivateRedis;
  let a: RunningGateway;
  let b: RunningGateway;
  let ca: Client;
  let cb: Client;
  let prefix: string;

  before(async () => {
    redis = await privateRedis();
    prefix = testPrefix();
    const yaml = config(redis.url, prefix);
    [a, b] = await Promise.all([startGateway(yaml), startGateway(yaml)]);
    [ca, cb] = await Promise.all([connect(a.url), connect(b.url)]);
  });

  after(async () => {
    await Promise.allSettled([ca?.close(), cb?.close()]);
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  test('a burst spread over both replicas is limited once', async () => {
    const sum = (c: Client) => c.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    for (const c of [ca, cb, ca, cb]) assert.match(textOf(await sum(c)), /3/);
    for (const c of [cb, ca]) {
      const e = await rpcError(sum(c));
      assert.equal(e.data?.reason, 'RATE_LIMITED', 'the fifth call, on either replica, finds the shared bucket empty');
    }
    // A bucket is per tool: echo is not spent.
    assert.match(textOf(await ca.callTool({ name: 'echo', arguments: { message: 'still' } })), /still/);
  });

  test("a lockdown through replica A's admin API refuses the next call on replica B", async () => {
    const post = (gw: RunningGateway, enabled: boolean) =>
      fetch(`${adminOf(gw)}/admin/lockdown`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ enabled, reason: 'e2e' }) });
    assert.equal((await post(a, true)).status, 200);
    const e = await until(async () => {
      const r = await rpcError(cb.callTool({ name: 'echo', arguments: { message: 'x' } })).catch(() => undefined);
      return r?.data?.reason === 'LOCKDOWN' ? r : undefined;
    }, 'B refuses with LOCKDOWN');
    assert.equal(e.code, -32018);
    assert.equal((await post(b, false)).status, 200, 'lifted through the other replica');
    await until(async () => textOf(await ca.callTool({ name: 'echo', arguments: { message: 'ok' } })), 'A serves again');
    await until(async () => b.audit().some((r) => r.event_type === 'lockdown_enabled' || r.event === 'lockdown_enabled' || JSON.stringify(r).includes('lockdown_enabled')) || undefined, 'B audited the lockdown it saw');
  });

  test('`portcullis lockdown on --config` without an admin listener writes Redis; every replica refuses', async () => {
    const cli = writeConfig(`mcp:\n  state: {url: "${redis.url}", keyPrefix: "${prefix}"}\n  servers: []\n`);
    const on = await runCli(['lockdown', 'on', '--config', cli.path, '--reason', 'from the CLI']);
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stdout, /lockdown ON in redis:\/\/127\.0\.0\.1:\d+\/0 key .*incident/);
    for (const c of [ca, cb]) {
      await until(async () => ((await rpcError(c.callTool({ name: 'echo', arguments: { message: 'x' } }))).data?.reason === 'LOCKDOWN' ? true : undefined), 'refused with LOCKDOWN');
    }
    const status = await runCli(['lockdown', 'status', '--config', cli.path]);
    assert.equal(JSON.parse(status.stdout).enabled, true);
    assert.equal((await runCli(['lockdown', 'off', '--config', cli.path])).status, 0);
    for (const c of [ca, cb]) await until(async () => textOf(await c.callTool({ name: 'echo', arguments: { message: 'ok' } })), 'served again');
  });

  test('Redis stopped mid-traffic: clear refusals, audited, not ready; then both recover', async () => {
    await redis.kill();
    const readyz = (gw: RunningGateway) => fetch(`${adminOf(gw)}/readyz`).then((r) => r.status);
    await until(async () => ((await readyz(a)) === 503 ? true : undefined), 'A not ready');
    assert.equal(await until(async () => ((await readyz(b)) === 503 ? 503 : undefined), 'B not ready'), 503);
    for (const c of [ca, cb]) {
      const e = await rpcError(c.callTool({ name: 'echo', arguments: { message: 'down' } }));
      assert.equal(e.data?.reason, 'STATE_UNAVAILABLE');
      assert.equal(e.code, -32017);
      assert.doesNotMatch(e.message, /redis|127\.0\.0\.1/i, 'the wire message says nothing of the infrastructure');
    }
    assert.match(a.stderr(), /unreachable.*REFUSED/);
    // Audit does not depend on Redis: the refusal is on disk.
    await until(async () => (a.audit().some((r) => JSON.stringify(r).includes('STATE_UNAVAILABLE')) ? true : undefined), 'the refusal audited on A');

    await redis.restart();
    for (const c of [ca, cb]) await until(async () => textOf(await c.callTool({ name: 'echo', arguments: { message: 'back' } })), 'served again');
    assert.equal(await readyz(a), 200);
    assert.equal(await readyz(b), 200);
    assert.match(a.stderr(), /is back/);
  });
});
