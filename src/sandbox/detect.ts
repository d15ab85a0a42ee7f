/**
 * What this host supports, found by trying it: bubblewrap (and whether it can really create the
 * namespaces here, not just whether the binary exists), user namespaces, seccomp, cgroup v2
 * delegation, util-linux prlimit/taskset, and whether a docker or podman engine answers.
 * `portcullis doctor` prints it; the launcher uses it to pick mechanisms and to refuse clearly.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { inspectDelegation } from './cgroup-v2.ts';
import { buildSeccompFilter } from './seccomp-filter.ts';
import { hostSeccompArch } from './syscalls.ts';

export interface Probe {
  ok: boolean;
  detail: string;
}

export interface BwrapInfo extends Probe {
  path?: string;
  version?: string;
  /** `--disable-userns` exists (0.8.0). */
  disableUserns: boolean;
}

/** The first executable `name` on PATH (or the path itself when it has a slash). */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** The system PATH, for tools the gateway itself runs (the server's PATH may differ). */
const SYSTEM_PATH = `/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin:${process.env.PATH ?? ''}`;

export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

export const MIN_BWRAP = '0.6.0';

/** bubblewrap present, recent enough, and able to set up a sandbox here (user namespace and all). */
export function probeBwrap(): BwrapInfo {
  const path = which('bwrap', SYSTEM_PATH);
  if (!path) return { ok: false, detail: 'bwrap not found (install the bubblewrap package)', disableUserns: false };
  const v = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 5000 });
  const version = /(\d+\.\d+\.\d+)/.exec(v.stdout ?? '')?.[1];
  if (!version) return { ok: false, path, detail: `${path} --version failed: ${(v.stderr || v.error?.message || '').trim()}`, disableUserns: false };
  if (!versionAtLeast(version, MIN_BWRAP)) return { ok: false, path, version, detail: `bubblewrap ${version} is older than ${MIN_BWRAP}`, disableUserns: false };
  const disableUserns = versionAtLeast(version, '0.8.0');
  const t = spawnSync(path, ['--unshare-all', '--unshare-user', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (t.status !== 0) {
    return { ok: false, path, version, disableUserns, detail: `bubblewrap ${version} cannot create a sandbox here: ${(t.stderr || t.error?.message || `exit ${t.status}`).trim()} (unprivileged user namespaces disabled? see kernel.unprivileged_userns_clone, user.max_user_namespaces, AppArmor restrict_unprivileged_userns)` };
  }
  return { ok: true, path, version, disableUserns, detail: `bubblewrap ${version} at ${path}: namespaces work` };
}

export function probeUserNamespaces(): Probe {
  let max = '?';
  try {
    max = readFileSync('/proc/sys/user/max_user_namespaces', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  if (max === '0') return { ok: false, detail: 'user.max_user_namespaces = 0' };
  const unshare = which('unshare', SYSTEM_PATH);
  if (!unshare) return { ok: max !== '?', detail: `user.max_user_namespaces = ${max} (util-linux unshare not found to try)` };
  const r = spawnSync(unshare, ['--user', '--map-root-user', 'true'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? { ok: true, detail: `an unprivileged user namespace can be created (max ${max})` } : { ok: false, detail: `unshare --user failed: ${(r.stderr || '').trim()}` };
}

/** seccomp filtering in the kernel, and a filter for this CPU architecture. */
export function probeSeccomp(): Probe {
  const arch = hostSeccompArch();
  if (!arch) return { ok: false, detail: `no seccomp filter for ${process.arch} (x64 and arm64 are supported)` };
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return { ok: false, detail: '/proc/self/status unreadable' };
  }
  if (!/^Seccomp:/m.test(status)) return { ok: false, detail: 'kernel without CONFIG_SECCOMP' };
  const f = buildSeccompFilter({ arch, denyRawSockets: true, denySetAffinity: true });
  return { ok: true, detail: `kernel supports seccomp; filter for ${arch}: ${f.instructions} BPF instructions` };
}

export function probeCgroup(): Probe & { controllers: string[] } {
  const d = inspectDelegation();
  const ok = Boolean(d.dir) || Boolean(d.movable);
  return { ok, detail: d.detail + (ok ? '' : ' → memory is enforced by the watchdog (PSS of the sandbox), processes by RLIMIT_NPROC'), controllers: [...d.controllers] };
}

export function probeTool(name: string, why: string): Probe {
  const p = which(name, SYSTEM_PATH);
  return p ? { ok: true, detail: `${p} (${why})` } : { ok: false, detail: `${name} not found (${why}; util-linux)` };
}

/** An OCI engine that answers (the client alone is not enough: `docker` without a daemon). */
export function probeEngine(engine: 'docker' | 'podman'): Probe {
  const p = which(engine, SYSTEM_PATH);
  if (!p) return { ok: false, detail: `${engine} not installed` };
  const r = spawnSync(p, ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 8000 });
  if (r.status === 0 && r.stdout.trim()) return { ok: true, detail: `${engine} engine ${r.stdout.trim()} answers (${p})` };
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop();
  return { ok: false, detail: `${engine} client at ${p}, but the engine does not answer: ${why}` };
}
