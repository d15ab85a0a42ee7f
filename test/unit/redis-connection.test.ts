/**
 * The shared-state connection against real Redis: configuration refusals, key prefix, pub/sub
 * between two replicas' connections, and an outage (a private redis-server killed and restarted):
 * commands fail at once with STATE_UNAVAILABLE, the loss and the recovery are each logged once,
 * readiness follows, and subscriptions come back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfigText } from '../../src/config/load.ts';
import { backoffMs, openStateConnection, RedisConnection, StateConfigError, stateUnavailable } from '../../src/state/redis-connection.ts';
import { dropPrefix, privateRedis, REDIS_TEST_URL, testPrefix } from '../helpers/redis.ts';

function stateYaml(state: string): string {
  return `mcp:\n  servers: []\n  state:\n${state}`;
}

function capture() {
  const lines: { level: string; msg: string }[] = [];
  return {
    lines,
    log: { info: (msg: string) => lines.push({ level: 'info', msg }), warn: (msg: string) => lines.push({ level: 'warn', msg }), error: (msg: string) => lines.push({ level: 'error', msg }) },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never happened: ${what}`);
}

test('a password in mcp.state.url is refused, naming the key and the fix', () => {
  assert.throws(
    () => loadConfigText(stateYaml('    url: redis://:hunter2@127.0.0.1:6379/0\n')),
    (err: ConfigError) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /mcp\.state\.url/);
      assert.match(err.message, /passwordEnv/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    },
  );
});

test('mcp.state refuses other schemes, a non-numeric database, a CA without TLS, passwordEnv without url', () => {
  assert.throws(() => loadConfigText(stateYaml('    url: http://127.0.0.1:6379/0\n')), /mcp\.state\.url.*not redis/s);
  assert.throws(() => loadConfigText(stateYaml('    url: redis://127.0.0.1:6379/cache\n')), /mcp\.state\.url.*not a number/s);
  assert.throws(() => loadConfigText(stateYaml('    url: redis://127.0.0.1:6379/0\n    tlsCaFile: /etc/ssl/ca.pem\n')), /mcp\.state\.tlsCaFile/);
  assert.throws(() => loadConfigText(stateYaml('    passwordEnv: REDIS_PASSWORD\n')), /mcp\.state\.passwordEnv/);
  const ok = loadConfigText(stateYaml('    url: rediss://portcullis@redis.internal:6380/2\n    passwordEnv: REDIS_PASSWORD\n'));
  assert.equal(ok.config.mcp.state.keyPrefix, 'portcullis:');
  assert.equal(ok.config.mcp.state.url, 'rediss://portcullis@redis.internal:6380/2');
});

test('without mcp.state.url there is no connection; an unset password variable is an operator error', () => {
  const none = loadConfigText(stateYaml('    dir: ./s\n')).config.mcp.state;
  assert.equal(openStateConnection(none, { log: capture().log }), undefined);
  const cfg = loadConfigText(stateYaml('    url: redis://127.0.0.1:6379/0\n    passwordEnv: PORTCULLIS_TEST_UNSET_PW\n')).config.mcp.state;
  assert.throws(() => openStateConnection(cfg, { log: capture().log, env: {} }), (err: Error) => err instanceof StateConfigError && /PORTCULLIS_TEST_UNSET_PW/.test(err.message) && /fix:/.test(err.message));
});

test('back-off doubles from the minimum and stops at the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 100].map((n) => backoffMs(n, 100, 5000)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
});

test('two connections (two replicas) share keys under the prefix and see each other\'s publications', async (t) => {
  const prefix = testPrefix();
  const a = new RedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, commandTimeoutMs: 2000, log: capture().log });
  const b = new RedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, commandTimeoutMs: 2000, log: capture().log });
  t.after(async () => {
    await Promise.all([a.close(), b.close()]);
    await dropPrefix(REDIS_TEST_URL, prefix);
  });
  await Promise.all([a.waitReady(10_000), b.waitReady(10_000)]);
  assert.equal(a.ready, true);
  assert.equal(a.key('lockdown'), `${prefix}lockdown`);
  await a.client.set(a.key('x'), '1');
  assert.equal(await b.client.get(b.key('x')), '1');

  const seen: string[] = [];
  const unsubscribe = await b.subscribe('changes', (m) => seen.push(m));
  await a.publish('changes', 'lockdown');
  await until(() => seen.length === 1, 'b receives a\'s publication');
  assert.deepEqual(seen, ['lockdown']);
  await unsubscribe();
  await a.publish('changes', 'after');
  await a.publish('other', 'x');
  // A message on another channel, and one after unsubscribing, are not delivered: the round trip
  // of a later subscription proves the earlier publications were processed.
  const probe: string[] = [];
  await b.subscribe('probe', (m) => probe.push(m));
  await a.publish('probe', 'p');
  await until(() => probe.length === 1, 'probe delivered');
  assert.deepEqual(seen, ['lockdown']);
});

test('Redis down: commands fail at once with STATE_UNAVAILABLE, one loud line, not ready; then it recovers', async (t) => {
  const server = await privateRedis();
  const { lines, log } = capture();
  const conn = new RedisConnection({ url: server.url, keyPrefix: testPrefix(), commandTimeoutMs: 1000, log, minBackoffMs: 20, maxBackoffMs: 200 });
  const changes: boolean[] = [];
  conn.onReadyChange((r) => changes.push(r));
  t.after(async () => {
    await conn.close();
    await server.stop();
  });
  await conn.waitReady(10_000);
  const seen: string[] = [];
  await conn.subscribe('changes', (m) => seen.push(m));

  await server.kill();
  await until(() => !conn.ready, 'the connection notices the loss');
  for (let i = 0; i < 5; i++) {
    const err = await conn.client.get(conn.key('k')).then(
      () => assert.fail('a command succeeded while Redis is down'),
      (e: unknown) => stateUnavailable(e),
    );
    assert.equal(err.code, 'STATE_UNAVAILABLE');
    assert.doesNotMatch(err.message, /redis/i, 'the wire message is opaque');
    assert.match(err.detail ?? '', /redis/);
  }
  await assert.rejects(conn.publish('changes', 'x'), (e: { code?: string }) => e.code === 'STATE_UNAVAILABLE');
  const losses = lines.filter((l) => l.level === 'error' && /unreachable/.test(l.msg));
  assert.equal(losses.length, 1, 'the outage is logged once, not once per attempt or command');
  assert.match(losses[0]!.msg, /REFUSED/);

  await server.restart();
  await conn.waitReady(20_000);
  assert.equal(await conn.client.set(conn.key('k'), 'v'), 'OK');
  assert.ok(lines.some((l) => l.level === 'warn' && /is back/.test(l.msg)), 'the recovery is logged');
  assert.deepEqual(changes.slice(-2), [false, true]);
  // The subscriber re-subscribed on its own.
  for (let i = 0; i < 200 && seen.length === 0; i++) {
    await conn.publish('changes', 'after-restart');
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.ok(seen.includes('after-restart'));
});
