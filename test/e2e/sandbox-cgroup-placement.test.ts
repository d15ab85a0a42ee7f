/**
 * The cgroup placement protocol with a real bubblewrap: the sandbox's first process reports its
 * pid on --info-fd, is written into the sandbox cgroup's `cgroup.procs`, and only then released
 * through --block-fd to start the server. This host has no delegated cgroup v2 (see `portcullis
 * doctor`), so the "cgroup" here is a plain directory: what is proven is the order and the
 * plumbing, not the kernel's enforcement of memory.max (a host with delegation enforces that).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SANDBOX_DEFAULTS } from '../../src/config/sandbox-schema.ts';
import { bubblewrapLaunch } from '../../src/sandbox/bubblewrap.ts';
import { StdioTransport, type LaunchSpec } from '../../src/upstream/stdio-transport.ts';
import { Upstream } from '../../src/upstream/upstream.ts';
import { NODE } from '../helpers/gateway-process.ts';
import { eventually, FIXTURE_DIR, HOSTILE, sandboxDir } from '../helpers/sandbox-fixtures.ts';

const parent = sandboxDir('portcullis-fake-cgroup-', true);
after(() => rmSync(parent, { recursive: true, force: true }));

/** An Upstream over a real StdioTransport whose launch is `launch` (a bubblewrap launch). */
function upstreamOf(server: { name: string; command: string; args: string[] }, launch: () => Promise<LaunchSpec>): Upstream {
  return new Upstream(server.name, () => new StdioTransport({ ...server, env: {}, maxMessageBytes: 1 << 20, onStderr: () => {}, launch }), { maxMessageBytes: 1 << 20, events: {} });
}
const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } };

test('the sandbox is placed in its cgroup before the server runs, with the limits written', async () => {
  const settings = { ...SANDBOX_DEFAULTS, enabled: true, memoryLimit: '1g', cpuLimit: 0.5, maxProcesses: 100, allowedPaths: [FIXTURE_DIR] };
  const server = { name: 'placed', command: NODE, args: [HOSTILE] };
  let cgroupPath = '';
  const up = upstreamOf(server, async () => {
    const l = await bubblewrapLaunch({ server, settings, baseEnv: {} }, undefined, { dir: parent, controllers: new Set(['memory', 'pids', 'cpu']), detail: 'test' });
    cgroupPath = l.report.limits.cgroup;
    return { ...l.spec, cleanup: () => {} };
  });
  await up.ensureReady(INIT, 30_000);
  assert.ok(cgroupPath.startsWith(join(parent, 'portcullis-placed-')), cgroupPath);
  assert.equal(readFileSync(join(cgroupPath, 'memory.max'), 'utf8'), String(1024 ** 3));
  assert.equal(readFileSync(join(cgroupPath, 'pids.max'), 'utf8'), '100');
  assert.equal(readFileSync(join(cgroupPath, 'cpu.max'), 'utf8'), '50000 100000');
  const pid = Number(readFileSync(join(cgroupPath, 'cgroup.procs'), 'utf8'));
  assert.ok(pid > 0);
  assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0], /bwrap$/, "the pid placed is the sandbox's first process (bwrap's child), which everything else descends from");
  const r = await up.request('tools/call', { name: 'echo', arguments: { text: 'released' } }, 10_000);
  assert.match(JSON.stringify(r.msg.result), /released/, 'released through --block-fd: the server runs');
  await up.close();
});

test('a sandbox whose setup fails after bwrap reported its pid leaves no process behind', async () => {
  // The cgroup's `cgroup.procs` is made unwritable (a directory): placing the pid fails while the
  // sandbox's init is held on --block-fd. Killing bwrap's outer process alone would orphan it.
  const marker = `setup-fails-${process.pid}-${Date.now()}`;
  const settings = { ...SANDBOX_DEFAULTS, enabled: true, memoryLimit: '1g', allowedPaths: [FIXTURE_DIR] };
  const server = { name: 'broken', command: NODE, args: [HOSTILE, marker] };
  const up = upstreamOf(server, async () => {
    const l = await bubblewrapLaunch({ server, settings, baseEnv: {} }, undefined, { dir: parent, controllers: new Set(['memory', 'pids']), detail: 'test' });
    mkdirSync(join(l.report.limits.cgroup, 'cgroup.procs'));
    return { ...l.spec, cleanup: () => {} };
  });
  await assert.rejects(up.ensureReady(INIT, 30_000));
  const alive = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      });
  await eventually(() => alive().length === 0, `no process of the failed sandbox is left (still: ${alive().join(', ')})`, 10_000);
  await up.close();
});
