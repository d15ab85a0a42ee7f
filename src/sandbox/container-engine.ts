/**
 * The docker and podman backends: the same `sandbox` settings mapped to `<engine> run` flags, for
 * hosts where such an engine answers. The server's command runs inside `image`.
 *
 *   network none → --network none; host → --network host; allowlist → refused (the egress proxy
 *   and its in-sandbox bridge exist for bubblewrap only; see settings-problems.ts)
 *   readOnlyRoot → --read-only; /tmp → --tmpfs /tmp:rw,noexec,nosuid,nodev,size=tmpSize
 *   capabilities → --cap-drop ALL (+ --cap-add each); --security-opt no-new-privileges
 *   seccomp → our profile as a JSON file (the rules of seccomp-filter.ts); it replaces the engine's
 *   default profile, which is why it must carry every one of those rules itself
 *   memoryLimit → --memory (and --memory-swap equal: no swap); cpuLimit → --cpus;
 *   maxProcesses → --pids-limit; maxOpenFiles / maxFileSize → --ulimit nofile / fsize
 *   allowedPaths → -v path:path:ro|rw; env → -e NAME (values passed in the client's environment,
 *   never on the command line where `ps` would show them)
 * The container is named, so that closing the server removes it even if the engine client dies.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from './detect.ts';
import { sandboxEnv } from './env-scrub.ts';
import { resolveAllowedPaths, SandboxSetupError } from './host-access.ts';
import { parseSize } from './limits.ts';
import { ABSENT, ALWAYS_DENIED, AF_INET, AF_INET6, AF_PACKET, CLONE_NEWUSER, DENIED_SOCKET_FAMILIES, SOCK_RAW } from './seccomp-filter.ts';
import type { BackendInput, SandboxLaunch } from './types.ts';

export type Engine = 'docker' | 'podman';

/**
 * The seccomp deny list as an OCI/libseccomp JSON profile (default allow; listed calls → EPERM,
 * ABSENT ones → ENOSYS). It replaces the engine's default profile, so it must carry every rule
 * of seccomp-filter.ts itself.
 */
export function seccompProfile(denyRawSockets: boolean): object {
  const errno = { action: 'SCMP_ACT_ERRNO', errnoRet: 1 };
  const syscalls: object[] = [
    { names: [...ALWAYS_DENIED], ...errno },
    { names: ['clone', 'unshare'], ...errno, args: [{ index: 0, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: 'SCMP_CMP_MASKED_EQ' }] },
    { names: [...ABSENT], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ...DENIED_SOCKET_FAMILIES.map((f) => ({ names: ['socket'], ...errno, args: [{ index: 0, value: f, op: 'SCMP_CMP_EQ' }] })),
  ];
  if (denyRawSockets) {
    syscalls.push(
      { names: ['socket'], ...errno, args: [{ index: 0, value: AF_PACKET, op: 'SCMP_CMP_EQ' }] },
      { names: ['socket'], ...errno, args: [{ index: 0, value: AF_INET, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0xf, valueTwo: SOCK_RAW, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['socket'], ...errno, args: [{ index: 0, value: AF_INET6, op: 'SCMP_CMP_EQ' }, { index: 1, value: 0xf, valueTwo: SOCK_RAW, op: 'SCMP_CMP_MASKED_EQ' }] },
    );
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'], syscalls };
}

export interface EngineArgs {
  name: string;
  seccompFile: string;
  envNames: string[];
}

/** `<engine> run ...` argv (without the engine binary). Pure: tested on its own. */
export function engineRunArgs(engine: Engine, input: BackendInput, a: EngineArgs): string[] {
  const s = input.settings;
  if (!s.image) throw new SandboxSetupError(`sandbox.container ${engine} needs sandbox.image`, 'set sandbox.image to the image the server runs in');
  if (s.network === 'allowlist') throw new SandboxSetupError(`network: allowlist is enforced with bubblewrap only, not ${engine}`, 'use container: bubblewrap, or network: none');
  const out = ['run', '--rm', '-i', '--init', '--name', a.name, '--network', s.network === 'host' ? 'host' : 'none'];
  if (s.readOnlyRoot) out.push('--read-only');
  out.push('--tmpfs', `/tmp:rw,noexec,nosuid,nodev,size=${s.tmpSize}`);
  out.push('--cap-drop', 'ALL', ...s.capabilities.flatMap((c) => ['--cap-add', c.replace(/^CAP_/, '')]));
  out.push('--security-opt', 'no-new-privileges', '--security-opt', `seccomp=${a.seccompFile}`);
  if (s.memoryLimit) out.push('--memory', s.memoryLimit, '--memory-swap', s.memoryLimit);
  if (s.cpuLimit !== undefined) out.push('--cpus', String(s.cpuLimit));
  out.push('--pids-limit', String(s.maxProcesses), '--ulimit', `nofile=${s.maxOpenFiles}:${s.maxOpenFiles}`, '--ulimit', `fsize=${parseSize(s.maxFileSize)}`, '--ulimit', 'core=0');
  if (engine === 'podman') out.push('--userns', 'keep-id');
  else out.push('--user', '1000:1000');
  for (const b of resolveAllowedPaths(s.allowedPaths)) out.push('-v', `${b.src}:${b.dest}:${b.writable ? 'rw' : 'ro'}`);
  if (input.server.cwd) out.push('-w', input.server.cwd);
  for (const k of a.envNames) out.push('-e', k);
  out.push(s.image, input.server.command, ...input.server.args);
  return out;
}

export async function engineLaunch(engine: Engine, input: BackendInput): Promise<SandboxLaunch> {
  const bin = which(engine, `/usr/bin:/bin:/usr/local/bin:${process.env.PATH ?? ''}`);
  if (!bin) throw new SandboxSetupError(`${engine} is not installed`, `install ${engine}, or use container: bubblewrap`);
  const dir = mkdtempSync(join(tmpdir(), `portcullis-${engine}-`));
  const seccompFile = join(dir, 'seccomp.json');
  writeFileSync(seccompFile, JSON.stringify(seccompProfile(input.settings.network !== 'host')));
  const env = sandboxEnv({ base: input.baseEnv, passEnv: input.settings.passEnv, serverEnv: input.server.env });
  const name = `portcullis-${input.server.name}-${randomBytes(4).toString('hex')}`;
  let args: string[];
  try {
    args = engineRunArgs(engine, input, { name, seccompFile, envNames: Object.keys(env).filter((k) => k !== 'PATH') });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const s = input.settings;
  return {
    spec: {
      command: bin,
      args,
      // The engine client needs its own PATH/HOME/DOCKER_HOST; the container only gets the -e names.
      env: { ...process.env, ...env, PATH: process.env.PATH },
      cleanup: () => {
        rmSync(dir, { recursive: true, force: true });
        spawn(bin, ['rm', '-f', name], { stdio: 'ignore' }).on('error', () => {});
      },
    },
    report: {
      backend: `${engine} (image ${s.image})`,
      isolation: ['container namespaces', 'no-new-privileges', `capabilities: ${s.capabilities.join(',') || 'none'}`],
      network: s.network === 'host' ? 'host network' : 'none',
      seccomp: `engine profile plus the Portcullis deny list (${seccompFile})`,
      limits: {
        memory: s.memoryLimit ? `${s.memoryLimit} (${engine} --memory: cgroup)` : 'not limited',
        cpu: s.cpuLimit !== undefined ? `${s.cpuLimit} (${engine} --cpus)` : 'not limited',
        processes: `${s.maxProcesses} (--pids-limit)`,
        openFiles: `${s.maxOpenFiles} (--ulimit nofile)`,
        fileSize: `${s.maxFileSize} (--ulimit fsize)`,
        tmp: `${s.tmpSize} tmpfs (noexec,nosuid,nodev)`,
      },
      hostUser: engine === 'podman' ? 'the invoking user (--userns keep-id)' : 'uid 1000 in the container',
      paths: (s.allowedPaths ?? []).map((p) => (typeof p === 'string' ? `${p} ro` : `${p.path} ${p.writable ? 'rw' : 'ro'}`)),
    },
  };
}
