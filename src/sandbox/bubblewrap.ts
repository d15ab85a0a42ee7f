/**
 * The bubblewrap backend: turns a server and its effective `sandbox` settings into a launch.
 *
 *   [taskset --cpu-list L]  bwrap <namespaces, mounts, --seccomp 3, ...> --
 *       [node egress-bridge.ts 3128 /run/portcullis/proxy.sock --]   (network: allowlist)
 *       prlimit --nofile= --fsize= --core=0 --nproc= [--data=] --  <server argv>
 *
 * Descriptors, numbered from 3 with no gaps (an unused one would leak into the sandbox): the
 * seccomp program, /etc/passwd, /etc/group, /etc/hosts without host networking (each written
 * then closed), then, with a cgroup or the memory watchdog, bwrap's info (the sandbox's first
 * pid) and the block bwrap waits on until that pid is in the cgroup and the watchdog measures
 * the sandbox: nothing of the server runs outside its limits.
 * A root gateway spawns all of it as `hostUid:hostGid`: uid 0 on the host is exempt from
 * RLIMIT_NPROC and owns every root file a bind might expose.
 */
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable, Readable } from 'node:stream';
import { bwrapArgs, groupFile, hostsFile, passwdFile, type Bind } from './bwrap-args.ts';
import { prepareDelegation, SandboxCgroup, type CgroupDelegation } from './cgroup-v2.ts';
import { probeBwrap, which, type BwrapInfo } from './detect.ts';
import { EgressProxy } from './egress-proxy.ts';
import { sandboxEnv } from './env-scrub.ts';
import { ETC_FILES, ETC_NETWORK_FILES, hostUserCan, isUnder, resolveAllowedPaths, resolveExecutable, SandboxSetupError, sandboxCwd, SYSTEM_DIRS, systemEntries } from './host-access.ts';
import { parseSize, planLimits } from './limits.ts';
import { MemoryWatchdog, sandboxProcDir } from './memory-watchdog.ts';
import { buildSeccompFilter } from './seccomp-filter.ts';
import { hostSeccompArch } from './syscalls.ts';
import type { LaunchSpec } from '../upstream/stdio-transport.ts';
import type { BackendInput, SandboxLaunch } from './types.ts';

// `.js` in the built package (dist/); bound into the sandbox under the `.ts` name, which Node runs either way.
const BRIDGE_SRC = join(dirname(fileURLToPath(import.meta.url)), `egress-bridge${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
const IN_SANDBOX = { socket: '/run/portcullis/proxy.sock', bridge: '/run/portcullis/egress-bridge.ts', port: 3128 };
const SYSTEM_PATH = '/usr/bin:/bin:/usr/sbin:/sbin';

let cpuRotation = 0;

export async function bubblewrapLaunch(input: BackendInput, bwrap: BwrapInfo = probeBwrap(), delegation: CgroupDelegation = prepareDelegation()): Promise<SandboxLaunch> {
  const { server, settings: s } = input;
  if (!bwrap.ok || !bwrap.path) throw new SandboxSetupError(`bubblewrap is not usable: ${bwrap.detail}`, 'install bubblewrap (apt-get install bubblewrap) and run `portcullis doctor`');
  const arch = hostSeccompArch();
  if (!arch) throw new SandboxSetupError(`no seccomp filter for CPU architecture ${process.arch}`, 'run on x86_64 or aarch64, or set sandbox.required: false');
  const prlimit = which('prlimit', SYSTEM_PATH);
  if (!prlimit || !SYSTEM_DIRS.some((d) => isUnder(prlimit, d))) throw new SandboxSetupError('util-linux prlimit not found in /usr/bin or /bin', 'install util-linux');

  const root = process.getuid?.() === 0;
  const runAs = root ? { uid: s.hostUid, gid: s.hostGid } : undefined;
  const exe = resolveExecutable(server.command, server.env?.PATH ?? process.env.PATH ?? '', server.cwd);
  const binds: Bind[] = resolveAllowedPaths(s.allowedPaths);
  if (!SYSTEM_DIRS.some((d) => isUnder(exe, d)) && !binds.some((b) => isUnder(exe, b.dest))) binds.push({ src: exe, dest: exe, writable: false });
  const cwd = sandboxCwd(server.cwd, binds);
  if (runAs) {
    for (const b of binds) {
      if (!hostUserCan(b.src, runAs.uid, runAs.gid, b.writable ? 'write' : 'read')) {
        throw new SandboxSetupError(
          `the sandbox runs as host uid ${runAs.uid} (the gateway is root) and cannot ${b.writable ? 'write' : 'read'} ${b.src}`,
          `grant uid ${runAs.uid} access (chown/chmod), or set sandbox.hostUid/hostGid to a user who has it`,
        );
      }
    }
  }

  const cpuCount = availableParallelism();
  const limits = planLimits(s, { cgroupControllers: delegation.controllers, cpuCount, cpuOffset: cpuRotation++ % cpuCount });
  const seccomp = buildSeccompFilter({ arch, denyRawSockets: s.network !== 'host', denySetAffinity: limits.cpuList !== undefined });

  let inner = [prlimit, ...limits.prlimit, '--', exe, ...server.args];
  const fixedEnv: Record<string, string> = {};
  let proxy: EgressProxy | undefined;
  let proxyDir: string | undefined;
  const cleanup = () => {
    proxy?.close();
    if (proxyDir) rmSync(proxyDir, { recursive: true, force: true });
  };
  if (s.network === 'allowlist') {
    proxyDir = mkdtempSync(join(tmpdir(), 'portcullis-egress-'));
    if (runAs) chownSync(proxyDir, runAs.uid, runAs.gid);
    const socket = join(proxyDir, 'proxy.sock');
    proxy = await EgressProxy.start({ socketPath: socket, allowedHosts: s.allowedHosts ?? [], onDecision: input.onEgress });
    const node = realpathSync(process.execPath);
    binds.push({ src: socket, dest: IN_SANDBOX.socket, writable: false }, { src: realpathSync(BRIDGE_SRC), dest: IN_SANDBOX.bridge, writable: false });
    if (!SYSTEM_DIRS.some((d) => isUnder(node, d)) && !binds.some((b) => isUnder(node, b.dest))) binds.push({ src: node, dest: node, writable: false });
    inner = [node, IN_SANDBOX.bridge, String(IN_SANDBOX.port), IN_SANDBOX.socket, '--', ...inner];
    const url = `http://127.0.0.1:${IN_SANDBOX.port}`;
    Object.assign(fixedEnv, { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url, NO_PROXY: 'localhost,127.0.0.1,::1', no_proxy: 'localhost,127.0.0.1,::1', NODE_USE_ENV_PROXY: '1' });
  }

  let cgroup: SandboxCgroup | undefined;
  try {
    if (limits.cgroup && delegation.dir) cgroup = SandboxCgroup.create(delegation.dir, server.name, limits.cgroup, delegation.controllers);
  } catch (err) {
    cleanup();
    throw new SandboxSetupError(`cannot create the sandbox cgroup: ${(err as Error).message}`, 'see `portcullis doctor` (cgroup v2 delegation)');
  }

  const files = [
    { dest: '/etc/passwd', bytes: passwdFile() },
    { dest: '/etc/group', bytes: groupFile() },
    ...(s.network === 'host' ? [] : [{ dest: '/etc/hosts', bytes: hostsFile() }]),
  ];
  const FD_SECCOMP = 3;
  const data = files.map((f, i) => ({ ...f, fd: FD_SECCOMP + 1 + i }));
  const fdInfo = FD_SECCOMP + 1 + data.length;
  const fdBlock = fdInfo + 1;
  const handshake = Boolean(cgroup) || limits.memoryWatchdog !== undefined;
  const argv = bwrapArgs({
    system: systemEntries(),
    etc: s.network === 'host' ? [...ETC_FILES, ...ETC_NETWORK_FILES] : ETC_FILES,
    data,
    binds,
    tmpSizeBytes: parseSize(s.tmpSize),
    shareNet: s.network === 'host',
    readOnlyRoot: s.readOnlyRoot,
    capabilities: s.capabilities.map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`)),
    disableUserns: bwrap.disableUserns,
    seccompFd: FD_SECCOMP,
    infoFd: handshake ? fdInfo : undefined,
    blockFd: handshake ? fdBlock : undefined,
    chdir: cwd,
    command: inner,
  });
  const taskset = limits.cpuList ? which('taskset', SYSTEM_PATH) : undefined;
  if (limits.cpuList && !taskset) {
    cgroup?.remove();
    cleanup();
    throw new SandboxSetupError('cpuLimit needs util-linux taskset (no cgroup v2 cpu controller here)', 'install util-linux, or remove cpuLimit');
  }
  const [command, ...args] = taskset ? [taskset, '--cpu-list', limits.cpuList!, bwrap.path, ...argv] : [bwrap.path, ...argv];

  let watchdog: MemoryWatchdog | undefined;
  const onSpawn: LaunchSpec['onSpawn'] = async (child, ctl) => {
    const fd = (n: number) => child.stdio[n] as (Writable & Readable) | null;
    fd(FD_SECCOMP)!.end(seccomp.bytes);
    for (const d of data) fd(d.fd)!.end(d.bytes);
    if (!handshake) return;
    const pid = (await readInfo(fd(fdInfo)!))['child-pid'];
    try {
      cgroup?.attach(pid);
      if (limits.memoryWatchdog !== undefined) watchdog = await startWatchdog(pid, limits.memoryWatchdog, s.memoryLimit!, input, ctl);
    } catch (err) {
      // The sandbox's init is still held on --block-fd, before --die-with-parent takes effect:
      // killing only bwrap's outer process (what a failed start does) would leave it behind.
      // Its parent is alive and has not reaped it, so the pid is still that process.
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      throw err;
    }
    fd(fdBlock)!.end('x');
  };
  const network =
    s.network === 'none' ? 'none (own network namespace, loopback only)' : s.network === 'host' ? 'host network' : `allowlist via egress proxy: ${(s.allowedHosts ?? []).join(', ') || '(empty: nothing)'}`;
  return {
    spec: {
      command,
      args,
      env: sandboxEnv({ base: input.baseEnv, passEnv: s.passEnv, serverEnv: server.env, fixed: fixedEnv }),
      uid: runAs?.uid,
      gid: runAs?.gid,
      extraFds: 1 + data.length + (handshake ? 2 : 0),
      onSpawn,
      cleanup: () => {
        watchdog?.stop();
        cgroup?.remove();
        cleanup();
      },
    },
    report: {
      backend: `bubblewrap ${bwrap.version}`,
      isolation: ['user', 'pid', 'ipc', 'uts', 'cgroup', 'mount', ...(s.network === 'host' ? [] : ['net']), 'no-new-privileges', `capabilities: ${s.capabilities.join(',') || 'none'}`, bwrap.disableUserns ? 'userns disabled' : 'userns denied by seccomp'],
      network,
      seccomp: `${seccomp.instructions} BPF instructions; denies ${seccomp.denied.join(', ')}`,
      limits: { ...limits.inForce, tmp: `${s.tmpSize} tmpfs (nosuid,nodev)`, cgroup: cgroup ? cgroup.path : delegation.detail },
      hostUser: runAs ? `uid ${runAs.uid} gid ${runAs.gid} (the gateway is root)` : `the gateway's user (uid ${process.getuid?.()})`,
      paths: binds.map((b) => `${b.dest}${b.src !== b.dest ? ` (${b.src})` : ''} ${b.writable ? 'rw' : 'ro'}`),
    },
  };
}

/**
 * The memory watchdog on the sandbox's own procfs (memory-watchdog.ts), started while bwrap still
 * blocks: a sandbox it cannot measure does not run. Over the limit: audited, then killed whole.
 */
async function startWatchdog(pid: number, limitBytes: number, limit: string, input: BackendInput, ctl: { kill(reason: string, wire?: string): void }): Promise<MemoryWatchdog> {
  const procDir = await sandboxProcDir(pid);
  const w = new MemoryWatchdog({
    procDir,
    limitBytes,
    onExceeded: (r) => {
      input.onMemoryExceeded?.(r, limitBytes);
      const used = `${Math.round(r.bytes / 1024 ** 2)} MiB ${r.measure.toUpperCase()} in ${r.processes} process(es)`;
      ctl.kill(`sandbox memory limit exceeded: ${used}, memoryLimit ${limit}`, `it exceeded its memory limit (${limit})`);
    },
  });
  if (!w.start()) throw new Error(`the memory watchdog cannot read the sandbox's processes (${procDir}), so memoryLimit could not be enforced`);
  return w;
}

/** bwrap's --info-fd JSON (`{"child-pid": N, ...}`), bounded in size and time. */
function readInfo(stream: Readable): Promise<{ 'child-pid': number }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => done(new Error('bubblewrap did not report its sandbox pid in 10s')), 10_000);
    const done = (err?: Error, v?: { 'child-pid': number }) => {
      clearTimeout(timer);
      stream.removeAllListeners('data');
      if (err) reject(err);
      else resolve(v!);
    };
    stream.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      if (text.length > 4096) return done(new Error('bubblewrap info too long'));
      try {
        const v = JSON.parse(text) as { 'child-pid'?: unknown };
        if (typeof v['child-pid'] === 'number') done(undefined, v as { 'child-pid': number });
      } catch {
        /* not complete yet */
      }
    });
    stream.once('end', () => done(new Error('bubblewrap closed its info descriptor early')));
  });
}
