/**
 * Escape attempts from inside a real sandboxed server, through a real gateway (`portcullis run`,
 * bubblewrap backend). The hostile server (test/fixtures/sandbox/hostile-server.cjs) tries, and
 * reports what happened; the test checks both its report and the host. A `control` server runs
 * the same script with the sandbox off, to show that each attempt would have worked without it
 * (where that is safe to try).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningGateway } from '../helpers/gateway-process.ts';
import { call, FIXTURE_DIR, HOSTILE, sandboxDir, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

const EPERM = 1;
type R = Record<string, { ok: boolean; code?: string; value?: unknown }>;
type Sys = Record<string, { ret: number; errno: number }>;

describe('sandbox escapes (bubblewrap): each attempt fails, the gateway stays healthy', () => {
  let env: SandboxGateway;
  let gw: RunningGateway;
  let client: Client;
  let tcp: Server;
  let tcpPort: number;
  const data = sandboxDir('portcullis-sbx-data-', true);
  const readonly = sandboxDir('portcullis-sbx-ro-', false);
  const outside = sandboxDir('portcullis-sbx-outside-', true);
  const home = sandboxDir('portcullis-sbx-home-', false);
  const tmpName = `portcullis-sbx-private-${process.pid}`;

  before(async () => {
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY MATERIAL');
    writeFileSync(join(readonly, 'keep.txt'), 'read me');
    tcp = createServer((s) => s.on('error', () => {}).end('host service\n')).listen(0, '127.0.0.1');
    await new Promise((r) => tcp.once('listening', r));
    tcpPort = (tcp.address() as { port: number }).port;
    env = await sandboxGateway(
      `    - { name: hostile, command: "\${NODE}", args: [${JSON.stringify(HOSTILE)}] }
    - { name: control, command: "\${NODE}", args: [${JSON.stringify(HOSTILE)}], security: { sandbox: { enabled: false } } }
    - { name: hostnet, command: "\${NODE}", args: [${JSON.stringify(HOSTILE)}], security: { sandbox: { network: host } } }`,
      `      enabled: true
      network: none
      memoryLimit: 1g
      maxProcesses: 64
      allowedPaths:
        - ${FIXTURE_DIR}
        - ${readonly}
        - { path: ${data}, writable: true }`,
    );
    ({ gw, client } = env);
  });

  after(async () => {
    await env?.stop(data, readonly, outside, home);
    tcp?.close();
  });

  test('the server really runs in the sandbox: own user, pid namespace, hostname, a minimal root, a scrubbed environment', async () => {
    const me = (await call(client, 'hostile__whoami')).report as { uid: number; hostname: string; pid1: { value: string }; env: string[]; root: string[]; fds: string[] };
    assert.deepEqual(me.fds.filter((f) => /socket:/.test(f)).map((f) => f.split('=')[0]), ['0', '1', '2'], 'no descriptor of the gateway leaks in beyond stdio');
    assert.equal(me.uid, 1000);
    assert.equal(me.hostname, 'mcp-sandbox');
    assert.match(me.pid1.value, /bwrap$/, 'pid 1 is the sandbox init: the host processes are not visible');
    for (const absent of ['root', 'home', 'var', 'srv', 'opt', 'mnt', 'boot']) assert.ok(!me.root.includes(absent), `/${absent} must not exist`);
    assert.ok(!me.env.some((k) => /TOKEN|SECRET|KEY|AWS|SSH_AUTH|NODE_OPTIONS/.test(k)), me.env.join(','));
    const started = gw.audit().find((r) => r.event === 'sandbox_started' && r.server === 'hostile');
    assert.ok(started, 'sandbox_started is audited');
    const detail = started.detail as { sandboxed: boolean; limits: Record<string, string>; seccomp: string };
    assert.equal(detail.sandboxed, true);
    assert.match(detail.limits.memory, /1g \((cgroup v2 memory\.max|watchdog: PSS)/, 'the memory mechanism in force is named');
    assert.match(detail.seccomp, /ptrace/);
  });

  test('writing outside the allowed paths and to the read-only root fails; the private /tmp never reaches the host', async () => {
    const targets = [join(outside, 'escape.txt'), join(readonly, 'overwrite.txt'), '/etc/passwd', '/usr/bin/portcullis-escape', '/escape', '/root/escape', join('/tmp', tmpName), join(data, 'allowed.txt')];
    const r = (await call(client, 'hostile__write_files', { targets })).report as R;
    assert.equal(r[join(outside, 'escape.txt')].code, 'ENOENT', 'a host directory that is not bound does not exist');
    assert.equal(r[join(readonly, 'overwrite.txt')].code, 'EROFS');
    assert.equal(r['/etc/passwd'].code, 'EROFS');
    assert.equal(r['/usr/bin/portcullis-escape'].code, 'EROFS');
    assert.equal(r['/escape'].code, 'EROFS', 'readOnlyRoot');
    assert.ok(!r['/root/escape'].ok);
    assert.ok(r[join(data, 'allowed.txt')].ok, 'the writable allowed path works');
    assert.equal(readFileSync(join(data, 'allowed.txt'), 'utf8'), 'escaped');
    assert.ok(r[join('/tmp', tmpName)].ok, 'the sandbox has its own /tmp');
    for (const f of [join(outside, 'escape.txt'), join(readonly, 'overwrite.txt'), join('/tmp', tmpName), '/escape', '/usr/bin/portcullis-escape']) assert.ok(!existsSync(f), `${f} must not exist on the host`);
    // Control: the same write without the sandbox lands on the host.
    const c = (await call(client, 'control__write_files', { targets: [join(outside, 'escape.txt')] })).report as R;
    assert.ok(c[join(outside, 'escape.txt')].ok);
    assert.ok(existsSync(join(outside, 'escape.txt')));
  });

  test("reading /etc/shadow or a home directory's .ssh fails", async () => {
    const key = join(home, '.ssh', 'id_ed25519');
    const targets = ['/etc/shadow', '/etc/gshadow', key, '/root/.ssh/id_rsa', '/root/.ssh/authorized_keys'];
    const r = (await call(client, 'hostile__read_files', { targets })).report as R;
    for (const t of targets) assert.equal(r[t].ok, false, `${t}: ${JSON.stringify(r[t])}`);
    assert.equal(r['/etc/shadow'].code, 'ENOENT', '/etc/shadow is not in the sandbox at all');
    assert.equal(r[key].code, 'ENOENT');
    // Control: unsandboxed, the planted key is readable (and /etc/shadow too when the tests run as root).
    const c = (await call(client, 'control__read_files', { targets: [key, '/etc/shadow'] })).report as R;
    assert.equal(c[key].value, 'PRIVATE KEY MATERIAL');
    if (process.getuid?.() === 0 && existsSync('/etc/shadow')) assert.ok(c['/etc/shadow'].ok, 'control reads /etc/shadow as root');
  });

  test('with network: none, no socket reaches anything: host loopback services, the outside, raw and packet sockets', async () => {
    const targets = [['127.0.0.1', tcpPort], ['127.0.0.1', 5432], ['1.1.1.1', 53], ['10.0.0.1', 80]];
    const r = (await call(client, 'hostile__network', { targets })).report as Record<string, { ok: boolean; code?: string; errno?: number }>;
    for (const [h, p] of targets) assert.equal(r[`${h}:${p}`].ok, false, `${h}:${p} ${JSON.stringify(r[`${h}:${p}`])}`);
    assert.equal(r[`127.0.0.1:${tcpPort}`].code, 'ECONNREFUSED', "the sandbox's loopback is its own");
    assert.equal(r['1.1.1.1:53'].code, 'ENETUNREACH');
    assert.equal(r.packet_socket.errno, EPERM, 'socket(AF_PACKET) refused by seccomp');
    assert.equal(r.raw_ip_socket.errno, EPERM, 'socket(AF_INET, SOCK_RAW) refused by seccomp');
    const c = (await call(client, 'control__network', { targets: [['127.0.0.1', tcpPort]] })).report as Record<string, { ok: boolean }>;
    assert.ok(c[`127.0.0.1:${tcpPort}`].ok, 'control reaches the host service');
  });

  test('network: host is the one way to reach the host network; the rest of the sandbox stays', async () => {
    const r = (await call(client, 'hostnet__network', { targets: [['127.0.0.1', tcpPort]] })).report as Record<string, { ok: boolean }>;
    assert.ok(r[`127.0.0.1:${tcpPort}`].ok, 'shares the host network');
    const me = (await call(client, 'hostnet__whoami')).report as { uid: number; fds: string[]; root: string[] };
    assert.equal(me.uid, 1000);
    assert.ok(!me.root.includes('home'));
    assert.deepEqual(me.fds.filter((f) => /socket:/.test(f)).map((f) => f.split('=')[0]), ['0', '1', '2']);
  });

  test('ptrace, mount, bpf, keyctl, perf_event_open, kexec, setns and new user namespaces are refused (EPERM from the filter)', async () => {
    const r = (await call(client, 'hostile__syscalls')).report as Sys & { unshare_cmd: { status: number; stderr: string } };
    assert.ok(r.getpid.ret > 0, 'a harmless syscall works the same way (the method is sound)');
    for (const k of ['ptrace_attach_pid1', 'ptrace_attach_parent', 'mount_tmpfs', 'bpf', 'keyctl', 'perf_event_open', 'kexec_load', 'setns', 'unshare_user']) {
      assert.deepEqual(r[k], { ret: -1, errno: EPERM }, k);
    }
    assert.notEqual(r.unshare_cmd.status, 0, 'unshare --user fails');
    assert.match(r.unshare_cmd.stderr, /Operation not permitted|No space left/);
  });

  test('io_uring answers ENOSYS inside (its rings would bypass seccomp); AF_ALG, AF_VSOCK and the kernel log are refused', async () => {
    const ENOSYS = 38;
    const inside = (await call(client, 'hostile__kernel_surface')).report as Sys;
    const outside = (await call(client, 'control__kernel_surface')).report as Sys;
    assert.notEqual(outside.io_uring_setup.errno, ENOSYS, 'without the sandbox this kernel runs io_uring_setup (EFAULT on NULL params, or EPERM if disabled by sysctl)');
    assert.deepEqual(inside.io_uring_setup, { ret: -1, errno: ENOSYS });
    for (const k of ['af_alg_socket', 'af_vsock_socket', 'syslog_size']) assert.deepEqual(inside[k], { ret: -1, errno: EPERM }, k);
  });

  test('after every attempt the gateway and both servers answer', async () => {
    assert.equal(gw.proc.exitCode, null);
    assert.equal(((await call(client, 'hostile__echo', { text: 'still here' })).report as { echo: string }).echo, 'still here');
    assert.equal(((await call(client, 'control__echo', { text: 'me too' })).report as { echo: string }).echo, 'me too');
    assert.ok(!gw.audit().some((r) => r.event === 'sandbox_killed' || r.event === 'sandbox_refused'));
  });
});
