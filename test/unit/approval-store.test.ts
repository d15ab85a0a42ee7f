/**
 * The state-directory approval store: the first decision wins, a decision made by another
 * process (another store on the same file) wakes the waiter, expired approvals are not listed,
 * the number pending is bounded, and a damaged file is a clear error.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApprovalStoreError, operatorDecision, type PendingApproval } from '../../src/approvals/approval-store.ts';
import { FileApprovalStore, MAX_PENDING } from '../../src/approvals/file-approval-store.ts';
import { tempDir } from '../helpers/gateway-process.ts';

let n = 0;
const pending = (over: Partial<PendingApproval> = {}): PendingApproval => ({
  id: `ap-${(++n).toString(16).padStart(24, '0')}`, server: 'files', tool: 'write_file', principal: 'alice', session: 's1',
  requestedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 60_000).toISOString(), askedVia: 'operator', ...over,
});

test('the first decision wins; a later one reports the earlier', async () => {
  const s = new FileApprovalStore(join(tempDir(), 'approvals.json'));
  const p = pending();
  await s.request(p);
  assert.deepEqual((await s.list()).map((x) => x.id), [p.id]);
  const yes = await operatorDecision(s, p.id, true, { by: 'bob', via: 'console' });
  assert.equal(yes?.first, true);
  const no = await operatorDecision(s, p.id, false, { by: 'timeout', via: 'timeout' });
  assert.equal(no?.first, false);
  assert.equal(no?.decision.approved, true);
  assert.equal(no?.decision.by, 'bob');
  assert.deepEqual(await s.list(), []);
  assert.equal(await operatorDecision(s, 'ap-000000000000000000000fff', true, { by: 'bob', via: 'console' }), undefined);
  assert.equal(await operatorDecision(s, '../../etc/passwd', true, { by: 'bob', via: 'console' }), undefined);
  await s.close();
});

test('a decision made through another store on the same file wakes the waiter', async () => {
  const path = join(tempDir(), 'approvals.json');
  const gateway = new FileApprovalStore(path);
  const cli = new FileApprovalStore(path);
  const p = pending();
  await gateway.request(p);
  const waiting = gateway.wait(p.id, new AbortController().signal);
  await operatorDecision(cli, p.id, false, { by: 'carol', via: 'state-file' });
  const d = await waiting;
  assert.equal(d?.approved, false);
  assert.equal(d?.by, 'carol');
  await Promise.all([gateway.close(), cli.close()]);
});

test('an aborted wait resolves undefined; expired approvals are not listed', async () => {
  const s = new FileApprovalStore(join(tempDir(), 'approvals.json'));
  const p = pending({ expiresAt: new Date(Date.now() - 1000).toISOString() });
  await s.request(p);
  assert.deepEqual(await s.list(), []);
  const ac = new AbortController();
  const w = s.wait(p.id, ac.signal);
  ac.abort();
  assert.equal(await w, undefined);
  await s.close();
});

test('pending approvals are bounded; a damaged file is an error naming the fix', async () => {
  const path = join(tempDir(), 'approvals.json');
  const many = Object.fromEntries(Array.from({ length: MAX_PENDING }, () => pending()).map((p) => [p.id, p]));
  writeFileSync(path, JSON.stringify({ version: 1, pending: many, decided: {} }));
  const s = new FileApprovalStore(path);
  await assert.rejects(s.request(pending()), ApprovalStoreError);
  writeFileSync(path, '{"version": 1, "pending": ');
  await assert.rejects(s.list(), /malformed; fix: remove it/);
  await s.close();
});
