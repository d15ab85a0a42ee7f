/**
 * The sandbox settings and the pure pieces built from them: the schema (overrides set only what
 * they name; the seed's `/workspace/*` is a directory), the bwrap argv, the limit plan and which
 * mechanism it names, the egress allowlist, and the restart policy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';
import { SANDBOX_DEFAULTS } from '../../src/config/sandbox-schema.ts';
import { bwrapArgs, type BwrapSpec } from '../../src/sandbox/bwrap-args.ts';
import { engineRunArgs, seccompProfile } from '../../src/sandbox/container-engine.ts';
import { sandboxEnv } from '../../src/sandbox/env-scrub.ts';
import { parseTarget } from '../../src/sandbox/egress-proxy.ts';
import { HostAllowlist, isForbiddenAddress } from '../../src/sandbox/host-allowlist.ts';
import { resolveAllowedPaths } from '../../src/sandbox/host-access.ts';
import { dataBackstop, parseSize, planLimits } from '../../src/sandbox/limits.ts';
import { isCrashLoop, RESTART, restartDelayMs, wasStable } from '../../src/upstream/restart-policy.ts';

test('an override sets only what it names: a per-server memoryLimit does not turn the global sandbox off', () => {
  const { servers } = loadConfigText(`mcp:
  security:
    sandbox: { enabled: true, network: none, memoryLimit: 1g }
  servers:
    - { name: a, command: x, security: { sandbox: { memoryLimit: 256m } } }
    - { name: b, command: y }
  skills:
    - { name: b, security: { sandbox: { allowedPaths: ["/workspace/*"] } } }
`);
  const [a, b] = servers.map((s) => s.effective.sandbox);
  assert.equal(a.enabled, true);
  assert.equal(a.memoryLimit, '256m');
  assert.equal(b.enabled, true);
  assert.equal(b.memoryLimit, '1g');
  assert.deepEqual(b.allowedPaths, ['/workspace/*']);
});

test('allowedPaths: absolute, a trailing /* or /** is the directory, other wildcards are refused', () => {
  assert.throws(() => loadConfigText('mcp: { security: { sandbox: { allowedPaths: ["relative/dir"] } } }'), /allowedPaths/);
  assert.throws(() => loadConfigText('mcp: { security: { sandbox: { allowedPaths: ["/data/*.key"] } } }'), /allowedPaths/);
  assert.throws(() => loadConfigText('mcp: { security: { sandbox: { allowedHosts: ["http://x.com/"] } } }'), /allowedHosts/);
  const binds = resolveAllowedPaths(['/usr/*', { path: '/tmp/**', writable: true }]);
  assert.deepEqual(binds.map((b) => [b.dest, b.writable]), [['/usr', false], ['/tmp', true]]);
  assert.throws(() => resolveAllowedPaths(['/does/not/exist']), /does not exist/);
});

test('sizes', () => {
  assert.equal(parseSize('512m'), 512 * 1024 * 1024);
  assert.equal(parseSize('1G'), 1024 ** 3);
  assert.equal(parseSize('64k'), 65536);
  assert.equal(parseSize('100'), 100);
});

test('limits: without a delegated cgroup, the memory watchdog, rlimits inside the user namespace and CPU affinity, each named', () => {
  const s = { ...SANDBOX_DEFAULTS, memoryLimit: '768m', cpuLimit: 1.5, maxProcesses: 64 };
  const p = planLimits(s, { cgroupControllers: new Set(), cpuCount: 4, cpuOffset: 3 });
  // RLIMIT_DATA only as a backstop far above the limit: at the limit, V8 cannot even reserve its code range.
  assert.deepEqual(p.prlimit, ['--nofile=1024', `--fsize=${1024 ** 3}`, '--core=0', '--nproc=64', `--data=${3 * 1024 ** 3}`]);
  assert.equal(p.memoryWatchdog, 768 * 1024 ** 2);
  assert.equal(dataBackstop(256 * 1024 ** 2), 2 * 1024 ** 3);
  assert.equal(p.cgroup, undefined);
  assert.equal(p.cpuList, '3,0');
  assert.match(p.inForce.memory, /watchdog: PSS/);
  assert.match(p.inForce.processes, /RLIMIT_NPROC/);
  assert.match(p.inForce.cpu, /affinity/);
  const all = planLimits({ ...s, cpuLimit: 8 }, { cgroupControllers: new Set(), cpuCount: 4, cpuOffset: 0 });
  assert.match(all.inForce.cpu, /not limited/);
});

test('limits: with a delegated cgroup v2, memory.max, pids.max and cpu.max', () => {
  const s = { ...SANDBOX_DEFAULTS, memoryLimit: '512m', cpuLimit: 0.5 };
  const p = planLimits(s, { cgroupControllers: new Set(['memory', 'pids', 'cpu']), cpuCount: 4, cpuOffset: 0 });
  assert.deepEqual(p.cgroup, { memoryMax: 512 * 1024 ** 2, pidsMax: 256, cpuMax: { quota: 50_000, period: 100_000 } });
  assert.ok(!p.prlimit.some((a) => a.startsWith('--data')));
  assert.equal(p.memoryWatchdog, undefined, 'the kernel enforces memory.max: no watchdog');
  assert.equal(p.cpuList, undefined);
  assert.match(p.inForce.memory, /cgroup v2 memory\.max/);
});

const spec: BwrapSpec = {
  system: [{ kind: 'ro-bind', path: '/usr' }, { kind: 'symlink', path: '/bin', target: 'usr/bin' }],
  etc: ['/etc/ld.so.cache'],
  data: [{ fd: 4, dest: '/etc/passwd' }],
  binds: [
    { src: '/srv/data/deep', dest: '/srv/data/deep', writable: false },
    { src: '/srv/data', dest: '/srv/data', writable: true },
  ],
  tmpSizeBytes: 1024,
  shareNet: false,
  readOnlyRoot: true,
  capabilities: [],
  disableUserns: true,
  seccompFd: 3,
  chdir: '/',
  command: ['/usr/bin/prlimit', '--nproc=8', '--', '/usr/bin/node', 'server.js'],
};

test('bwrap argv: every namespace, no capabilities, seccomp, /tmp before binds, parents before children, root read-only last', () => {
  const a = bwrapArgs(spec);
  for (const f of ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--disable-userns', '--die-with-parent', '--new-session']) assert.ok(a.includes(f), f);
  assert.deepEqual(a.slice(a.indexOf('--cap-drop'), a.indexOf('--cap-drop') + 2), ['--cap-drop', 'ALL']);
  assert.ok(!a.includes('--cap-add'));
  const at = (x: string) => a.indexOf(x);
  assert.ok(at('--tmpfs') < a.indexOf('/srv/data'), '/tmp first');
  assert.ok(a.indexOf('/srv/data') < a.indexOf('/srv/data/deep'), 'parent bind before child');
  assert.deepEqual(a.slice(at('--bind'), at('--bind') + 3), ['--bind', '/srv/data', '/srv/data']);
  assert.ok(at('--remount-ro') > at('/srv/data/deep') && at('--remount-ro') < at('--seccomp'));
  assert.deepEqual(a.slice(at('--size'), at('--size') + 4), ['--size', '1024', '--tmpfs', '/tmp']);
  assert.deepEqual(a.slice(at('--'), at('--') + 2), ['--', '/usr/bin/prlimit']);
  assert.ok(!a.slice(0, at('--')).some((x) => x === '/' && a[a.indexOf(x) - 1] === '--bind'), 'the host root is never bound');
  const host = bwrapArgs({ ...spec, shareNet: true, capabilities: ['CAP_NET_BIND_SERVICE'], readOnlyRoot: false });
  assert.ok(!host.includes('--unshare-net'));
  assert.ok(!host.includes('--remount-ro'));
  assert.deepEqual(host.slice(host.indexOf('--cap-add'), host.indexOf('--cap-add') + 2), ['--cap-add', 'CAP_NET_BIND_SERVICE']);
});

test('the sandbox environment: an allowlist, passEnv, the server env; never the gateway secrets', () => {
  const env = sandboxEnv({ base: { LANG: 'C.UTF-8', AWS_SECRET_ACCESS_KEY: 's', SSH_AUTH_SOCK: '/x', HOME: '/root', KEEP: 'k' }, passEnv: ['KEEP'], serverEnv: { API: 'v' }, fixed: { HTTP_PROXY: 'p' } });
  assert.equal(env.LANG, 'C.UTF-8');
  assert.equal(env.KEEP, 'k');
  assert.equal(env.API, 'v');
  assert.equal(env.HOME, '/tmp');
  assert.equal(env.HTTP_PROXY, 'p');
  assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
  assert.equal(env.SSH_AUTH_SOCK, undefined);
});

test('egress allowlist: names, ports, wildcards, literals; resolved addresses that are refused', () => {
  const l = new HostAllowlist(['api.example.com', '*.github.com', 'files.example.org:8443', '10.1.2.3:9000', '[::1]:7000']);
  assert.ok(l.match('api.example.com', 443));
  assert.ok(l.match('API.example.com.', 80));
  assert.ok(!l.match('api.example.com', 22));
  assert.ok(l.match('raw.github.com', 443));
  assert.ok(!l.match('github.com', 443), 'a wildcard is subdomains only');
  assert.ok(!l.match('evilgithub.com', 443));
  assert.ok(l.match('files.example.org', 8443) && !l.match('files.example.org', 443));
  assert.ok(l.match('10.1.2.3', 9000)?.literal);
  assert.ok(l.match('[::1]', 7000));
  assert.ok(!l.match('example.com', 443));
  for (const bad of ['127.0.0.1', '169.254.169.254', '0.0.0.0', '::1', '::ffff:127.0.0.1', 'fe80::1', '224.0.0.1']) assert.ok(isForbiddenAddress(bad), bad);
  for (const ok of ['93.184.216.34', '10.0.0.1', '2606:4700::1111']) assert.ok(!isForbiddenAddress(ok), ok);
});

test('proxy request lines: CONNECT authority, absolute http URLs rewritten to origin form, anything else refused', () => {
  assert.deepEqual(parseTarget('CONNECT api.example.com:443 HTTP/1.1'), { host: 'api.example.com', port: 443, connect: true, originLine: '' });
  assert.deepEqual(parseTarget('GET http://example.com/a?b=1 HTTP/1.1'), { host: 'example.com', port: 80, connect: false, originLine: 'GET /a?b=1 HTTP/1.1' });
  assert.equal(parseTarget('GET /relative HTTP/1.1'), undefined);
  assert.equal(parseTarget('GET https://example.com/ HTTP/1.1'), undefined);
  assert.equal(parseTarget('GET http://user:pw@example.com/ HTTP/1.1'), undefined);
  assert.equal(parseTarget('CONNECT example.com HTTP/1.1'), undefined);
});

test('docker/podman: the same settings as engine flags; allowlist and a missing image are refused', () => {
  const input = { server: { name: 'fs', command: 'node', args: ['s.js'] }, baseEnv: {}, settings: { ...SANDBOX_DEFAULTS, enabled: true, container: 'docker' as const, image: 'img:1', memoryLimit: '512m', cpuLimit: 1, allowedPaths: [{ path: '/usr', writable: false }] } };
  const a = engineRunArgs('docker', input, { name: 'n', seccompFile: '/s.json', envNames: ['API'] });
  for (const [flag, v] of [['--network', 'none'], ['--memory', '512m'], ['--memory-swap', '512m'], ['--cpus', '1'], ['--pids-limit', '256'], ['--cap-drop', 'ALL'], ['-v', '/usr:/usr:ro'], ['-e', 'API']]) {
    assert.equal(a[a.indexOf(flag) + 1], v, flag);
  }
  assert.ok(a.includes('--read-only') && a.includes('no-new-privileges') && a.includes('seccomp=/s.json'));
  assert.ok(a.includes('/tmp:rw,noexec,nosuid,nodev,size=64m'));
  assert.deepEqual(a.slice(-3), ['img:1', 'node', 's.js']);
  assert.throws(() => engineRunArgs('docker', { ...input, settings: { ...input.settings, image: undefined } }, { name: 'n', seccompFile: '', envNames: [] }), /needs sandbox.image/);
  assert.throws(() => engineRunArgs('podman', { ...input, settings: { ...input.settings, network: 'allowlist' } }, { name: 'n', seccompFile: '', envNames: [] }), /bubblewrap only/);
  const profile = seccompProfile(true) as { defaultAction: string; syscalls: { names: string[] }[] };
  assert.equal(profile.defaultAction, 'SCMP_ACT_ALLOW');
  assert.ok(profile.syscalls[0].names.includes('ptrace') && profile.syscalls[0].names.includes('bpf'));
  // The file replaces the engine's default profile (which denies io_uring): ours must deny it too.
  const enosys = profile.syscalls.find((r) => (r as { errnoRet?: number }).errnoRet === 38);
  assert.deepEqual(enosys?.names, ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register']);
});

test('restart policy: first retry at once, then doubling to 30 s, crash loop at 5, a stable run resets', () => {
  assert.deepEqual([1, 2, 3, 4].map(restartDelayMs), [0, 1000, 2000, 4000]);
  assert.equal(restartDelayMs(5), RESTART.unhealthyCooldownMs);
  assert.ok(!isCrashLoop(4) && isCrashLoop(5));
  assert.ok(wasStable(1000, 1000 + RESTART.stableMs) && !wasStable(1000, 2000) && !wasStable(0, 1e12));
});
