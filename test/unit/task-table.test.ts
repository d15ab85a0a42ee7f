/**
 * The task table (src/gateway/task-table.ts): ownership by session and principal, expiry with the
 * task's ttl (capped), the bounds, and status notifications held until their task is bound.
 * Real sessions; the clock is the only thing supplied.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Session, type Principal } from '../../src/gateway/session.ts';
import { MAX_PER_SESSION, MAX_TASKS, MAX_TTL_MS, relatedTaskId, TaskTable } from '../../src/gateway/task-table.ts';

function session(subject: string, method = 'jwt'): Session & { sent: string[] } {
  const sent: string[] = [];
  const principal: Principal = { subject, method, roles: [] };
  const s = new Session({ principal, connection: 'test', send: (m) => void sent.push(String(m)) });
  return Object.assign(s, { sent });
}

const SERVERS = ['everything'];
const bind = (t: TaskTable, s: Session, taskId: unknown, ttl: unknown = 60_000, server = 'everything') => t.bind({ server, taskId, ttl, session: s, tool: 'research', exposed: 'research' });
const status = (taskId: string) => ({ jsonrpc: '2.0' as const, method: 'notifications/tasks/status', params: { taskId, status: 'working' } });

describe('task table', () => {
  test("a task is its creator's: another session, even of the same subject, finds it unknown", () => {
    const t = new TaskTable();
    const alice = session('alice');
    const aliceAgain = session('alice');
    const bob = session('bob');
    assert.ok(bind(t, alice, 't1'));
    assert.equal((t.find('t1', alice, SERVERS) as { entry: { tool: string } }).entry.tool, 'research');
    assert.match((t.find('t1', bob, SERVERS) as { refused: string }).refused, /another session \(jwt:alice, tool 'research'/);
    assert.match((t.find('t1', aliceAgain, SERVERS) as { refused: string }).refused, /another session/);
    assert.equal((t.find('nope', alice, SERVERS) as { refused: string }).refused, 'unknown task');
    assert.equal((t.find(42, alice, SERVERS) as { refused: string }).refused, 'unknown task');
    assert.equal(t.mine('everything', 't1', bob), undefined);
    assert.ok(t.mine('everything', 't1', alice));
  });

  test('a session whose principal changed, or that closed, owns nothing any more', () => {
    const t = new TaskTable();
    const s = session('alice');
    bind(t, s, 't1');
    s.principal = { subject: 'mallory', method: 'jwt', roles: [] };
    assert.ok('refused' in t.find('t1', s, SERVERS));
    s.principal = { subject: 'alice', method: 'jwt', roles: [] };
    assert.ok('entry' in t.find('t1', s, SERVERS));
    s.closed = true;
    assert.ok('refused' in t.find('t1', s, SERVERS));
    assert.equal(t.owner('everything', 't1'), undefined);
    t.dropSession(s);
    assert.equal(t.size, 0);
  });

  test("entries expire with the task's ttl, capped; no ttl gets the cap", () => {
    let now = 1_000_000;
    const t = new TaskTable(() => now);
    const s = session('alice');
    bind(t, s, 'short', 1000);
    bind(t, s, 'forever', null);
    bind(t, s, 'huge', MAX_TTL_MS * 10);
    now += 1000;
    assert.equal((t.find('short', s, SERVERS) as { refused: string }).refused, 'unknown task');
    now += MAX_TTL_MS - 1001;
    assert.ok('entry' in t.find('forever', s, SERVERS));
    assert.ok('entry' in t.find('huge', s, SERVERS));
    now += 1;
    assert.ok('refused' in t.find('forever', s, SERVERS));
    assert.ok('refused' in t.find('huge', s, SERVERS));
  });

  test('a server cannot hand one task to two callers; unusable ids are not bound', () => {
    const t = new TaskTable();
    const alice = session('alice');
    const bob = session('bob');
    assert.ok(bind(t, alice, 'same'));
    assert.equal(bind(t, bob, 'same'), false);
    assert.ok('entry' in t.find('same', alice, SERVERS));
    assert.equal(bind(t, alice, 7), false);
    assert.equal(bind(t, alice, ''), false);
    assert.equal(bind(t, alice, 'x'.repeat(2000)), false);
    // The same id on two servers is two tasks; asked by id alone, it is ambiguous and refused.
    assert.ok(bind(t, alice, 'same', 60_000, 'other'));
    assert.match((t.find('same', alice, ['everything', 'other']) as { refused: string }).refused, /more than one server/);
  });

  test('bounded: a session beyond its share loses its own oldest task, not anyone else\'s', () => {
    const t = new TaskTable();
    const alice = session('alice');
    const bob = session('bob');
    bind(t, bob, 'bobs');
    for (let i = 0; i <= MAX_PER_SESSION; i++) bind(t, alice, `a${i}`);
    assert.equal(t.size, MAX_PER_SESSION + 1);
    assert.ok('refused' in t.find('a0', alice, SERVERS));
    assert.ok('entry' in t.find(`a${MAX_PER_SESSION}`, alice, SERVERS));
    assert.ok('entry' in t.find('bobs', bob, SERVERS));
  });

  test('bounded: at most MAX_TASKS entries, the oldest goes first', () => {
    const t = new TaskTable();
    const sessions = Array.from({ length: Math.ceil(MAX_TASKS / MAX_PER_SESSION) + 1 }, (_, i) => session(`u${i}`));
    for (let i = 0; i <= MAX_TASKS; i++) bind(t, sessions[Math.floor(i / MAX_PER_SESSION)], `t${i}`);
    assert.equal(t.size, MAX_TASKS);
    assert.ok('refused' in t.find('t0', sessions[0], SERVERS));
    assert.ok('entry' in t.find('t1', sessions[0], SERVERS));
  });

  test('status notifications reach the owner only, and one that overtakes its task waits for it', () => {
    const t = new TaskTable();
    const alice = session('alice');
    const bob = session('bob');
    t.deliverStatus('everything', status('early'));
    assert.deepEqual([alice.sent, bob.sent], [[], []]);
    bind(t, alice, 'early');
    assert.equal(alice.sent.length, 1, 'delivered on binding');
    t.deliverStatus('everything', status('early'));
    t.deliverStatus('other', status('early'));
    assert.equal(alice.sent.length, 2, "another server's task of the same id is not hers");
    assert.deepEqual(bob.sent, []);
  });

  test('relatedTaskId reads the spec\'s _meta key only', () => {
    assert.equal(relatedTaskId({ _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'x' } } }), 'x');
    assert.equal(relatedTaskId({ _meta: { 'io.modelcontextprotocol/related-task': { taskId: 1 } } }), undefined);
    assert.equal(relatedTaskId({ taskId: 'x' }), undefined);
    assert.equal(relatedTaskId(undefined), undefined);
  });
});
