/**
 * The memory watchdog's arithmetic and its decisions, over a directory laid out like a procfs
 * (the e2e test, test/e2e/sandbox-memory.test.ts, runs it on a real sandbox's /proc): PSS where
 * smaps_rollup is readable, RSS otherwise, every numeric entry counted, the limit crossed once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MemoryWatchdog, readProcMemory, type MemoryReading } from '../../src/sandbox/memory-watchdog.ts';

const root = mkdtempSync(join(tmpdir(), 'portcullis-procfs-'));
after(() => rmSync(root, { recursive: true, force: true }));

function procfs(name: string, procs: Record<string, { pssKb?: number; rssPages?: number }>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  mkdirSync(join(dir, 'sys')); // not a process
  for (const [pid, p] of Object.entries(procs)) setProcess(dir, pid, p);
  return dir;
}

function setProcess(dir: string, pid: string, p: { pssKb?: number; rssPages?: number }): void {
  mkdirSync(join(dir, pid), { recursive: true });
  // Without a Pss line (what an unreadable or empty smaps_rollup comes to), statm's RSS counts.
  writeFileSync(join(dir, pid, 'smaps_rollup'), p.pssKb === undefined ? '' : `00400000-7fff [rollup]\nRss:  ${p.pssKb * 3} kB\nPss:  ${p.pssKb} kB\n`);
  writeFileSync(join(dir, pid, 'statm'), `9999 ${p.rssPages ?? 0} 10 1 0 50 0\n`);
}

test('PSS of every process, RSS where smaps_rollup cannot be read; non-processes ignored', () => {
  assert.deepEqual(readProcMemory(procfs('pss', { 1: { pssKb: 100 }, 2: { pssKb: 2048 } })), { bytes: 2148 * 1024, processes: 2, measure: 'pss' });
  assert.deepEqual(readProcMemory(procfs('mixed', { 1: { pssKb: 100 }, 7: { rssPages: 256 } })), { bytes: 100 * 1024 + 256 * 4096, processes: 2, measure: 'rss' });
  assert.equal(readProcMemory(join(root, 'missing')), null);
});

test('over the limit: reported once, then the watchdog stops; unmeasurable at start: refused', async () => {
  const dir = procfs('grow', { 1: { pssKb: 512 }, 2: { pssKb: 512 } });
  const seen: MemoryReading[] = [];
  const over = Promise.withResolvers<void>();
  const w = new MemoryWatchdog({ procDir: dir, limitBytes: 4 * 1024 ** 2, intervalMs: 5, nearIntervalMs: 1, onExceeded: (r) => (seen.push(r), over.resolve()) });
  assert.deepEqual(w.start(), { bytes: 1024 * 1024, processes: 2, measure: 'pss' });
  setProcess(dir, '3', { pssKb: 4096 }); // a child appears and allocates
  await over.promise;
  assert.equal(seen.length, 1);
  assert.equal(seen[0].processes, 3);
  assert.ok(seen[0].bytes > 4 * 1024 ** 2);
  assert.equal(new MemoryWatchdog({ procDir: join(root, 'missing'), limitBytes: 1, onExceeded: () => assert.fail() }).start(), null);
  assert.equal(new MemoryWatchdog({ procDir: procfs('empty', {}), limitBytes: 1, onExceeded: () => assert.fail() }).start(), null);
});
