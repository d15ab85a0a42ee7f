/**
 * Progress tokens across sessions sharing a server (src/gateway/progress.ts): the server sees the
 * client's own token unless another call in flight holds that value; notifications route back
 * only from the server the token was given to.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressRouter, RETIRE } from '../../src/gateway/progress.ts';
import type { Session } from '../../src/gateway/session.ts';
import type { Upstream } from '../../src/upstream/upstream.ts';

const session = (id: string) => ({ id }) as unknown as Session;
const upstream = (name: string) => ({ name }) as unknown as Upstream;

test("the server sees the client's own token when no call in flight uses it", () => {
  const r = new ProgressRouter();
  const up = upstream('a');
  assert.equal(r.register(session('s1'), 'client-token-7', 1, up), 'client-token-7');
  assert.equal(r.register(session('s1'), 42, 2, up), 42);
  assert.equal(r.lookup('client-token-7', up)?.token, 'client-token-7');
  assert.equal(r.lookup(42, up)?.related, 2);
});

test('a token already in flight (another session, or the same value) gets a fresh one; each routes to its caller', () => {
  const r = new ProgressRouter();
  const up = upstream('a');
  const a = session('a');
  const b = session('b');
  assert.equal(r.register(a, 1, 'ra', up), 1);
  const forB = r.register(b, 1, 'rb', up);
  assert.notEqual(forB, 1);
  assert.equal(r.lookup(1, up)?.session, a);
  assert.equal(r.lookup(forB, up)?.session, b);
  assert.equal(r.lookup(forB, up)?.token, 1, "B's notifications carry B's own token again");
});

test('1 and "1" are different tokens (JSON-RPC types), and a client token shaped like ours is not overwritten', () => {
  const r = new ProgressRouter();
  const up = upstream('a');
  assert.equal(r.register(session('a'), 1, 'x', up), 1);
  assert.equal(r.register(session('b'), '1', 'y', up), '1');
  // A client picked `pc-1`: the next allocation must not reuse it.
  assert.equal(r.register(session('c'), 'pc-1', 'z', up), 'pc-1');
  const fresh = r.register(session('d'), 'pc-1', 'w', up);
  assert.notEqual(fresh, 'pc-1');
  const again = r.register(session('e'), 1, 'v', up);
  assert.ok(again !== 1 && again !== 'pc-1' && again !== fresh, String(again));
  assert.equal(r.size, 5);
});

test('only the server a token was given to can report progress on it; a released token is gone', () => {
  const r = new ProgressRouter();
  const a = upstream('a');
  const b = upstream('b');
  const t = r.register(session('s'), 'mine', 1, a);
  assert.equal(r.lookup(t, b), undefined, 'another server guessing the token reaches nothing');
  assert.equal(r.lookup({ t }, a), undefined);
  r.release(t);
  assert.equal(r.lookup(t, a), undefined);
  assert.equal(r.size, 0);
});

test("a released value is not handed out again for a while: a server's stale progress on it reaches no other call", () => {
  let now = 0;
  const r = new ProgressRouter(() => now);
  const up = upstream('a');
  assert.equal(r.register(session('a'), 6, 'cancelled-call', up), 6);
  r.release(6);
  // The server keeps reporting on the cancelled call's token: nobody gets it.
  assert.equal(r.lookup(6, up), undefined);
  // Another session's call that picked 6 gets a fresh token; stale progress on 6 still goes nowhere.
  const fresh = r.register(session('b'), 6, 'new-call', up);
  assert.notEqual(fresh, 6);
  assert.equal(r.lookup(6, up), undefined);
  assert.equal(r.lookup(fresh, up)?.token, 6);
  // Long after, the value is free again.
  now += RETIRE.ms + 1;
  assert.equal(r.register(session('c'), 6, 'later-call', up), 6);
});
