/**
 * The heap flags the launcher gives `portcullis run` (bin/heap-flags.cjs): which commands get
 * them, that an operator's own setting wins, and that a real `portcullis run` process started by
 * the launcher runs with them (same pid: the launcher replaces itself, no second process).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, NODE, ROOT, tempDir } from '../helpers/gateway-process.ts';

const { heapFlags, HEAP_FLAGS } = createRequire(import.meta.url)(join(ROOT, 'bin', 'heap-flags.cjs')) as {
  heapFlags: (args: string[], execArgv: string[], nodeOptions?: string) => string[];
  HEAP_FLAGS: string[];
};

test('`run` gets the heap flags; one-shot commands and `wrap` do not', () => {
  assert.deepEqual(heapFlags(['run', '--config', 'x.yaml'], [], undefined), HEAP_FLAGS);
  assert.ok(HEAP_FLAGS.includes('--expose-gc'));
  for (const cmd of ['wrap', 'audit', 'check', '--help']) assert.deepEqual(heapFlags([cmd], [], ''), [], cmd);
  assert.deepEqual(heapFlags([], [], ''), []);
});

test("the operator's own setting wins, on node's command line or in NODE_OPTIONS, with - or _", () => {
  assert.deepEqual(heapFlags(['run'], ['--expose-gc'], ''), []);
  assert.deepEqual(heapFlags(['run'], [], '--expose_gc --no-warnings'), []);
  assert.deepEqual(heapFlags(['run'], ['--max-semi-space-size=64'], '--max-old-space-size=512'), HEAP_FLAGS, 'other flags do not count');
});

test('a launched `portcullis run` is the same process, running with the flags', { skip: !existsSync('/proc/self/cmdline') && 'needs /proc' }, async () => {
  const dir = tempDir();
  const cfg = join(dir, 'config.yaml');
  writeFileSync(cfg, 'mcp:\n  listen: { host: 127.0.0.1, port: 0, path: /mcp }\n  servers:\n    - name: none\n      url: "http://127.0.0.1:9/mcp"\n');
  const proc = spawn(NODE, [BIN, 'run', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (c) => {
        out += c;
        if (out.includes('listening on ')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    const argv = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
    for (const f of HEAP_FLAGS) assert.ok(argv.includes(f), `${f} in ${argv.join(' ')}`);
    assert.ok(argv.includes(BIN) && argv.includes('run'));
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
});
