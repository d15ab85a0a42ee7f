/**
 * The per-session replay buffer (src/transports/event-replay.ts): bounded in events, bytes and age;
 * a stream with a hole is refused rather than replayed with the hole; ids name one stream and are
 * not guessable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventId, newStreamId, parseEventId, ReplayBuffer } from '../../src/transports/event-replay.ts';

const frame = (s: string) => Buffer.from(s);
const texts = (b: Buffer[] | undefined) => b?.map((x) => x.toString());

test('replays the events of one stream after the given one, in order, and nothing of other streams', () => {
  const r = new ReplayBuffer({ maxEvents: 100, maxBytes: 1 << 20, ttlMs: 60_000 });
  const [a, b] = [newStreamId(), newStreamId()];
  r.record(a, 0, frame('a0'));
  r.record(b, 0, frame('b0'));
  r.record(a, 1, frame('a1'));
  r.record(b, 1, frame('b1'));
  r.record(a, 2, frame('a2'));
  assert.deepEqual(texts(r.after(a, 0)), ['a1', 'a2']);
  assert.deepEqual(texts(r.after(a, 2)), []);
  assert.deepEqual(texts(r.after(b, 0)), ['b1']);
  assert.equal(r.after(newStreamId(), 0), undefined, 'an unknown stream resumes nothing');
});

test('the event cap evicts the oldest; a resume from before the hole is refused, after it works', () => {
  const r = new ReplayBuffer({ maxEvents: 3, maxBytes: 1 << 20, ttlMs: 60_000 });
  const s = newStreamId();
  for (let i = 0; i < 5; i++) r.record(s, i, frame(`e${i}`));
  assert.deepEqual(r.size, { events: 3, bytes: 6 });
  assert.equal(r.after(s, 0), undefined, 'e1 was evicted: replaying from e0 would skip it');
  assert.deepEqual(texts(r.after(s, 1)), ['e2', 'e3', 'e4']);
});

test('the byte cap evicts the oldest, and an event larger than the cap is not kept (its stream has a hole)', () => {
  const r = new ReplayBuffer({ maxEvents: 100, maxBytes: 10, ttlMs: 60_000 });
  const s = newStreamId();
  for (const [i, t] of ['aaaa', 'bbbb', 'cccc', 'dddd'].entries()) r.record(s, i, frame(t));
  assert.deepEqual(r.size, { events: 2, bytes: 8 });
  assert.equal(r.after(s, 0), undefined, 'bbbb was evicted: replaying after aaaa would skip it');
  assert.deepEqual(texts(r.after(s, 1)), ['cccc', 'dddd'], 'the client had bbbb: nothing is missing');
  const big = newStreamId();
  r.record(big, 0, frame('p'));
  r.record(big, 1, frame('x'.repeat(11)));
  assert.equal(r.after(big, 0), undefined, 'the oversized event cannot be replayed: refuse');
  assert.ok(r.size.bytes <= 10);
});

test('events expire after ttl; forget and clear drop a stream and everything', () => {
  const r = new ReplayBuffer({ maxEvents: 100, maxBytes: 1 << 20, ttlMs: 1000 });
  const s = newStreamId();
  r.record(s, 0, frame('old'), 0);
  r.record(s, 1, frame('new'), 900);
  assert.deepEqual(texts(r.after(s, 0, 950)), ['new']);
  assert.deepEqual(texts(r.after(s, 0, 1500)), ['new'], 'seq 0 expired, but the client had it');
  assert.equal(r.after(s, 0, 1950), undefined, 'seq 1 expired too: a resume after seq 0 would miss it');
  const t = newStreamId();
  r.record(t, 0, frame('t0'), 2000);
  r.forget(t);
  assert.equal(r.after(t, 0, 2000), undefined);
  r.record(t, 1, frame('t1'), 2000);
  r.clear();
  assert.deepEqual(r.size, { events: 0, bytes: 0 });
});

test('event ids: <96 random bits>.<seq>; anything else is not ours', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newStreamId()));
  assert.equal(ids.size, 1000);
  const s = newStreamId();
  assert.match(s, /^[A-Za-z0-9_-]{16}$/);
  assert.deepEqual(parseEventId(eventId(s, 7)), { stream: s, seq: 7 });
  for (const bad of ['', '7', `${s}`, `${s}.`, `${s}.-1`, `${s}.1e3`, `short.1`, `${s}x.1`, `../${s}.1`, `${s}.1.2`]) assert.equal(parseEventId(bad), undefined, bad);
});
