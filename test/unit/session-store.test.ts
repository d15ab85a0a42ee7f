/**
 * The session store contract, run against the in-process store and Redis (a real redis-server of
 * the test's own), and the session bus between two real Redis connections.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { boundTo, parseRecord, recordOf, sessionFromRecord, type SessionRecord } from '../../src/gateway/session-record.ts';
import { Session } from '../../src/gateway/session.ts';
import { RedisConnection } from '../../src/state/redis-connection.ts';
import { RedisSessionBus, type BusMessage } from '../../src/state/session-bus.ts';
import { MemorySessionStore, type SessionStore } from '../../src/state/session-store.ts';
import { RedisSessionStore, sessionKeyOf } from '../../src/state/redis-session-store.ts';
import { privateRedis, type PrivateRedis } from '../helpers/redis.ts';

function record(id: string, over: Partial<SessionRecord> = {}): SessionRecord {
  const s = new Session({ id, principal: { subject: 'alice', method: 'api-key', roles: [] }, connection: 'test', send: () => {} });
  s.protocolVersion = '2025-11-25';
  s.clientCapabilities = { sampling: {}, elicitation: { form: {} } };
  s.clientInfo = { name: 'test-client', version: '1' };
  s.subscriptions.add('everything+test://static/resource/1');
  return { ...recordOf(s, 'r1', 1000), ...over };
}

let redis: PrivateRedis;
const conns: RedisConnection[] = [];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const connect = async (keyPrefix = 'portcullis:', url = redis.url) => {
  const c = new RedisConnection({ url, keyPrefix, commandTimeoutMs: 1000, log: quiet });
  conns.push(c);
  await c.waitReady(5000);
  return c;
};

before(async () => {
  redis = await privateRedis();
});
after(async () => {
  for (const c of conns) await c.close();
  await redis.kill();
});

for (const kind of ['memory', 'redis'] as const) {
  describe(`session store contract: ${kind}`, () => {
    const make = async (): Promise<SessionStore> => (kind === 'memory' ? new MemorySessionStore() : new RedisSessionStore(await connect(`t${Math.random().toString(36).slice(2)}:`)));

    it('saves, touches, peeks and deletes one record, field for field', async () => {
      const store = await make();
      const rec = record('s-1');
      await store.save(rec, 60_000);
      assert.deepEqual(await store.peek('s-1'), rec);
      assert.deepEqual(await store.touch('s-1', 60_000), rec);
      assert.equal(await store.delete('s-1'), true);
      assert.equal(await store.peek('s-1'), undefined);
      assert.equal(await store.touch('s-1', 60_000), undefined);
      assert.equal(await store.delete('s-1'), false);
    });

    it('a record expires after its idle time; a touch pushes the expiry out', async () => {
      const store = await make();
      await store.save(record('s-2'), 300);
      await store.save(record('s-3'), 300);
      await sleep(150);
      assert.ok(await store.touch('s-2', 2000));
      await sleep(400);
      assert.equal(await store.peek('s-3'), undefined, 'not touched: expired');
      assert.ok(await store.peek('s-2'), 'touched: still there');
    });

    it('a save replaces the record (a changed log level or subscription)', async () => {
      const store = await make();
      await store.save(record('s-4'), 60_000);
      await store.save(record('s-4', { logLevel: 'error', subscriptions: [] }), 60_000);
      const got = await store.peek('s-4');
      assert.equal(got?.logLevel, 'error');
      assert.deepEqual(got?.subscriptions, []);
    });
  });
}

describe('session store: Redis specifics', () => {
  it('names a session by the SHA-256 of its id: the id (a bearer) is in no key', async () => {
    const c = await connect('keys-test:');
    const store = new RedisSessionStore(c);
    await store.save(record('bearer-secret-id'), 60_000);
    const keys = await c.client.keys('keys-test:*');
    assert.deepEqual(keys, [sessionKeyOf('keys-test:', 'bearer-secret-id')]);
    assert.ok(!keys[0].includes('bearer-secret-id'));
  });

  it('a damaged or foreign record is treated as absent, and reported', async () => {
    const c = await connect('damaged:');
    const reports: string[] = [];
    const store = new RedisSessionStore(c, { onDamaged: (d) => reports.push(d) });
    await c.client.set(sessionKeyOf('damaged:', 'x'), '{"v":1,"id":"x","__proto__":{"polluted":true}}');
    await c.client.set(sessionKeyOf('damaged:', 'y'), JSON.stringify(record('someone-else')));
    await c.client.set(sessionKeyOf('damaged:', 'z'), 'not json');
    for (const id of ['x', 'y', 'z']) assert.equal(await store.touch(id, 1000), undefined, id);
    assert.equal(reports.length, 3);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('a stopped Redis makes every operation fail with STATE_UNAVAILABLE (never "no such session")', async () => {
    const own = await privateRedis();
    try {
      const store = new RedisSessionStore(await connect('portcullis:', own.url));
      await store.save(record('s-5'), 60_000);
      await own.kill();
      await sleep(100);
      await assert.rejects(store.touch('s-5', 1000), { code: 'STATE_UNAVAILABLE' });
      await assert.rejects(store.save(record('s-6'), 1000), { code: 'STATE_UNAVAILABLE' });
    } finally {
      await own.kill();
    }
  });
});

describe('session record', () => {
  it('round-trips into a session bound to its principal, with what it negotiated', () => {
    const rec = record('s-7', { logLevel: 'warning' });
    const parsed = parseRecord(JSON.stringify(rec));
    assert.deepEqual(parsed, rec);
    const alice = { subject: 'alice', method: 'api-key', roles: ['dev'] };
    assert.equal(boundTo(rec, alice), true);
    assert.equal(boundTo(rec, { ...alice, method: 'jwt' }), false);
    assert.equal(boundTo(rec, { ...alice, subject: 'bob' }), false);
    const s = sessionFromRecord(rec, { principal: alice, connection: 'http:x', send: () => {} });
    assert.equal(s.id, 's-7');
    assert.equal(s.protocolVersion, '2025-11-25');
    assert.equal(s.initialized, true);
    assert.equal(s.stateless, false);
    assert.equal(s.logLevel, 'warning');
    assert.deepEqual(s.clientCapabilities, rec.clientCapabilities);
    assert.deepEqual([...s.subscriptions], rec.subscriptions);
  });

  it('refuses records of another shape', () => {
    const ok = record('s-8');
    for (const bad of [{ ...ok, v: 2 }, { ...ok, subject: 7 }, { ...ok, clientCapabilities: [] }, { ...ok, subscriptions: 'x' }, { ...ok, subscriptions: new Array(1001).fill('u') }, [ok]]) {
      assert.equal(parseRecord(JSON.stringify(bad)), undefined, JSON.stringify(bad).slice(0, 60));
    }
    assert.equal(parseRecord('x'.repeat(70_000)), undefined);
  });
});

describe('session bus', () => {
  it('carries a message to the other replicas holding the session, not to the sender or to other sessions', async () => {
    const logs: string[] = [];
    const a = new RedisSessionBus(await connect('bus-test:'), { replica: 'a', maxBytes: 1000, log: (l) => logs.push(l) });
    const b = new RedisSessionBus(await connect('bus-test:'), { replica: 'b', maxBytes: 1000, log: (l) => logs.push(l) });
    const gotA: BusMessage[] = [];
    const gotB: BusMessage[] = [];
    const gotOther: BusMessage[] = [];
    a.join('s', (m) => gotA.push(m));
    b.join('s', (m) => gotB.push(m));
    b.join('other', (m) => gotOther.push(m));
    await sleep(200); // subscriptions are asynchronous
    assert.equal(await a.publish('s', { op: 'stream', message: '{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}' }), 2);
    await a.publish('s', { op: 'ended', reason: 'client ended the session' });
    for (let i = 0; i < 50 && gotB.length < 2; i++) await sleep(20);
    assert.deepEqual(gotB, [
      { op: 'stream', message: '{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}' },
      { op: 'ended', reason: 'client ended the session' },
    ]);
    assert.deepEqual(gotA, [], 'the sender does not hear itself');
    assert.deepEqual(gotOther, []);
    // Bounded: an oversized message is not published, and said so.
    assert.equal(await a.publish('s', { op: 'client', message: 'x'.repeat(2000) }), 0);
    assert.match(logs.join('\n'), /over 1000 and was not sent/);
    b.leave('s');
    await sleep(100);
    assert.equal(await a.publish('s', { op: 'stream', message: '{}' }), 1, 'only a is still subscribed');
    await a.close();
    await b.close();
  });
});
