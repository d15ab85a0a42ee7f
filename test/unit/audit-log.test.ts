import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import { AuditLog, FileAuditSink, type AuditRecord } from '../../src/audit/audit-log.ts';
import { HashChain } from '../../src/audit/hash-chain.ts';

const root = mkdtempSync(join(tmpdir(), 'portcullis-audit-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(root, `case-${++n}`, 'sub', 'audit.log');

/** The records of a file without the chain's checkpoints, and without the chain fields. */
function readLines(path: string): AuditRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AuditRecord & { chain?: string; seq?: number; prev?: string; hash?: string })
    .filter((r) => (r.event as string) !== 'audit_checkpoint')
    .map(({ chain: _c, seq: _s, prev: _p, hash: _h, ...r }) => r);
}

function setup(opts: { level?: 'summary' | 'detailed' | 'debug'; events?: readonly (typeof AUDIT_EVENTS)[number][] } = {}) {
  const path = freshPath();
  const clock = { now: new Date('2025-03-01T12:00:00.000Z') };
  const errors: Error[] = [];
  const sink = new FileAuditSink({ path, rotation: 'daily', clock: () => clock.now });
  const log = new AuditLog({
    sinks: [sink],
    events: opts.events ?? AUDIT_EVENTS,
    level: opts.level ?? 'detailed',
    onError: (e) => errors.push(e),
    clock: () => clock.now,
  });
  return { path, clock, log, sink, errors };
}

describe('AuditLog with FileAuditSink', () => {
  it('writes one JSON object per line with the given fields', async () => {
    const { path, log, errors } = setup();
    log.emit({ event: 'tool_invoked', session: 's1', server: 'fs', tool: 'read_file', requestId: 7, decision: 'allow', latencyMs: 1.5, args: { path: '/tmp/a' } });
    log.emit({ event: 'tool_denied', session: 's1', tool: 'shell', decision: 'deny', rule: 'deniedTools[0]: shell*', code: 'UNKNOWN_TOOL' });
    await log.flush();
    const lines = readLines(path);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0], {
      time: '2025-03-01T12:00:00.000Z', event: 'tool_invoked', severity: 'info', session: 's1', server: 'fs', tool: 'read_file', requestId: 7, decision: 'allow', latencyMs: 1.5, args: { path: '/tmp/a' },
    });
    assert.equal(lines[1].severity, 'medium');
    assert.equal(lines[1].event, 'tool_denied');
    assert.equal(lines[1].rule, 'deniedTools[0]: shell*');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(errors, []);
    await log.close();
  });

  it('flush resolves only once the bytes are in the file', async () => {
    const { path, log } = setup();
    for (let i = 0; i < 5; i++) log.emit({ event: 'tool_invoked', requestId: i });
    await log.flush();
    assert.deepEqual(readLines(path).map((r) => r.requestId), [0, 1, 2, 3, 4]);
    await log.close();
  });

  it('drops events that are not configured, but not the operator\'s actions, and observers see all', async () => {
    const seen: string[] = [];
    const { path, log } = setup({ events: ['tool_denied'] });
    log.observe((r) => seen.push(r.event));
    log.emit({ event: 'tool_invoked', tool: 'a' });
    log.emit({ event: 'tool_denied', tool: 'b' });
    log.emit({ event: 'connection_established' });
    log.emit({ event: 'lockdown_enabled' });
    await log.close();
    assert.deepEqual(readLines(path).map((r) => [r.event, r.tool]), [['tool_denied', 'b'], ['lockdown_enabled', undefined]]);
    assert.deepEqual(seen, ['tool_invoked', 'tool_denied', 'connection_established', 'lockdown_enabled']);
  });

  it('summary level drops arguments; detailed keeps them', async () => {
    const s = setup({ level: 'summary' });
    s.log.emit({ event: 'tool_invoked', args: { q: 'x' } });
    await s.log.close();
    assert.equal('args' in readLines(s.path)[0], false);
    const d = setup({ level: 'debug' });
    d.log.emit({ event: 'tool_invoked', args: { q: 'x' } });
    await d.log.close();
    assert.deepEqual(readLines(d.path)[0].args, { q: 'x' });
  });

  it('redacts secrets in arguments and detail before they reach the file', async () => {
    const { path, log } = setup();
    const args = { user: 'ann', password: 'hunter2', auth: { token: 't0k3n' }, note: 'sent Bearer abc.def' };
    log.emit({ event: 'tool_invoked', args, detail: { apiKey: 'k', size: 3 } });
    await log.close();
    const text = readFileSync(path, 'utf8');
    for (const secret of ['hunter2', 't0k3n', 'abc.def']) assert.equal(text.includes(secret), false, secret);
    const [rec] = readLines(path);
    assert.deepEqual(rec.args, { user: 'ann', password: '[REDACTED]', auth: '[REDACTED]', note: 'sent Bearer [REDACTED]' });
    assert.deepEqual(rec.detail, { apiKey: '[REDACTED]', size: 3 });
    assert.equal(args.password, 'hunter2', 'input untouched');
  });

  it('rotates at the UTC day boundary without losing or reordering records', async () => {
    const { path, clock, log } = setup();
    clock.now = new Date('2025-03-01T23:59:58.000Z');
    log.emit({ event: 'tool_invoked', requestId: 1 });
    log.emit({ event: 'tool_invoked', requestId: 2 });
    await log.flush();
    log.emit({ event: 'tool_invoked', requestId: 3 }); // still buffered when the day turns
    clock.now = new Date('2025-03-02T00:00:01.000Z');
    log.emit({ event: 'tool_invoked', requestId: 4 });
    log.emit({ event: 'tool_invoked', requestId: 5 });
    await log.close();
    const dir = join(path, '..');
    assert.deepEqual(readdirSync(dir).sort(), ['audit.log', 'audit.log.2025-03-01']);
    const day1 = readLines(`${path}.2025-03-01`);
    const day2 = readLines(path);
    assert.deepEqual(day1.map((r) => r.requestId), [1, 2, 3]);
    assert.deepEqual(day2.map((r) => r.requestId), [4, 5]);
    assert.ok(day1.every((r) => r.time.startsWith('2025-03-01')));
    assert.ok(day2.every((r) => r.time.startsWith('2025-03-02')));
  });

  it('does not overwrite an existing archive of the same day', async () => {
    const { path, clock, log } = setup();
    log.emit({ event: 'tool_invoked', requestId: 1 });
    clock.now = new Date('2025-03-02T00:00:00.000Z');
    log.emit({ event: 'tool_invoked', requestId: 2 });
    clock.now = new Date('2025-03-01T23:00:00.000Z'); // clock stepped back
    log.emit({ event: 'tool_invoked', requestId: 3 });
    clock.now = new Date('2025-03-02T01:00:00.000Z');
    log.emit({ event: 'tool_invoked', requestId: 4 });
    await log.close();
    const all = readdirSync(join(path, '..')).flatMap((f) => readLines(join(path, '..', f)).map((r) => r.requestId));
    assert.deepEqual(all.sort(), [1, 2, 3, 4]);
  });

  it('close() drains 10,000 records with none lost', async () => {
    const { path, log, errors } = setup();
    for (let i = 0; i < 10_000; i++) log.emit({ event: 'tool_invoked', requestId: i, args: { i, text: 'lorem ipsum dolor sit amet' } });
    await log.close();
    const ids = readLines(path).map((r) => r.requestId);
    assert.equal(ids.length, 10_000);
    assert.deepEqual(ids, Array.from({ length: 10_000 }, (_, i) => i));
    assert.deepEqual(errors, []);
  });

  it('emitSoon: a call record is written after the turn, with the time it was queued, in order with everything else', async () => {
    const { path, clock, log } = setup();
    const done: string[] = [];
    log.emitSoon({ event: 'tool_invoked', tool: 'a' }, () => done.push('a'));
    clock.now = new Date('2025-03-01T12:00:01.000Z');
    log.emitSoon({ event: 'tool_invoked', tool: 'b' }, () => done.push('b'));
    assert.equal(done.length, 0, 'nothing emitted inside the turn that queued it');
    clock.now = new Date('2025-03-01T12:00:02.000Z');
    log.emit({ event: 'policy_violation', tool: 'c' }); // emits the queued ones first
    assert.deepEqual(done, ['a', 'b']);
    log.emitSoon({ event: 'tool_invoked', tool: 'd' }, () => done.push('d'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(done, ['a', 'b', 'd'], 'emitted on the next turn without being asked');
    log.emitSoon({ event: 'tool_invoked', tool: 'e' });
    await log.flush(); // a flush writes the queued ones too
    const recs = readLines(path);
    assert.deepEqual(recs.map((r) => r.tool), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(recs.slice(0, 3).map((r) => r.time), ['2025-03-01T12:00:00.000Z', '2025-03-01T12:00:01.000Z', '2025-03-01T12:00:02.000Z']);
  });

  it('close() writes the records emitSoon queued, then the seal', async () => {
    const { path, log } = setup();
    log.emitSoon({ event: 'tool_invoked', tool: 'late' });
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tool?: string; detail?: { reason?: string } });
    assert.equal(lines.at(-2)?.tool, 'late');
    assert.equal(lines.at(-1)?.detail?.reason, 'close');
  });

  it('refuses records after close, through onError, without throwing', async () => {
    const { log, errors } = setup();
    await log.close();
    log.emit({ event: 'tool_invoked' });
    assert.equal(errors.length, 1);
  });

  it('under backpressure writes synchronously instead of growing the buffer', async () => {
    const path = freshPath();
    const sink = new FileAuditSink({ path, rotation: 'none', limits: { batchBytes: 1 << 30, flushIntervalMs: 60_000, maxBufferedBytes: 1_000 } });
    const chain = new HashChain();
    sink.write(chain.begin());
    for (let i = 0; i < 200; i++) for (const e of chain.append({ time: new Date(0).toISOString(), event: 'tool_invoked', requestId: i })) sink.write(e);
    // No await yet: everything past the cap is already in the file.
    const early = readLines(path).length;
    assert.ok(early >= 180, `only ${early} records written synchronously`);
    await sink.close();
    assert.deepEqual(readLines(path).map((r) => r.requestId), Array.from({ length: 200 }, (_, i) => i));
  });

  it('a bad path fails at construction', () => {
    const file = freshPath();
    const sink = new FileAuditSink({ path: file, rotation: 'none' });
    assert.throws(() => new FileAuditSink({ path: join(file, 'under-a-file.log'), rotation: 'none' }));
    return sink.close();
  });
});
