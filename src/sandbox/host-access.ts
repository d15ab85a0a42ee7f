/**
 * What a sandbox may see of the host's files, resolved before anything starts: the server's
 * executable, the configured `allowedPaths`, the working directory. Mistakes here are the
 * operator's and are reported with the key and the fix, instead of surfacing as a bwrap error
 * or an EACCES deep inside the server.
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import type { Bind, SystemEntry } from './bwrap-args.ts';
import { which } from './detect.ts';

export class SandboxSetupError extends Error {
  readonly fix: string;
  constructor(message: string, fix: string) {
    super(message);
    this.name = 'SandboxSetupError';
    this.fix = fix;
  }
}

/** The directories every program needs: read-only, as on the host (merged-/usr symlinks stay symlinks). */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** The parts of /etc a program needs to run, resolve libraries, and verify TLS (no keys, no accounts). */
export const ETC_FILES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/nsswitch.conf',
  '/etc/localtime',
  '/etc/alternatives',
  '/etc/ssl/certs',
  '/etc/ssl/openssl.cnf',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/pki/tls/certs',
  '/etc/pki/ca-trust',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/mime.types',
  '/etc/os-release',
];
export const ETC_NETWORK_FILES = ['/etc/resolv.conf', '/etc/hosts'];

export function systemEntries(): SystemEntry[] {
  const out: SystemEntry[] = [];
  for (const path of SYSTEM_DIRS) {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) out.push({ kind: 'symlink', path, target: readlinkSync(path) });
      else if (st.isDirectory()) out.push({ kind: 'ro-bind', path });
    } catch {
      /* absent on this host */
    }
  }
  return out;
}

export function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

/** The server's executable on the host (PATH of its environment), symlinks resolved. */
export function resolveExecutable(command: string, pathVar: string, cwd: string | undefined): string {
  const found = command.includes('/') ? resolve(cwd ?? process.cwd(), command) : which(command, pathVar);
  if (!found) throw new SandboxSetupError(`command '${command}' not found on PATH`, 'give the command as an absolute path');
  try {
    return realpathSync(found);
  } catch {
    throw new SandboxSetupError(`command '${command}' (${found}) does not exist`, 'correct the server command');
  }
}

type PathEntry = string | { path: string; writable: boolean };

/** `allowedPaths` as binds: trailing `/*` or `/**` is the directory; the source is the real path. */
export function resolveAllowedPaths(entries: readonly PathEntry[] | undefined): Bind[] {
  return (entries ?? []).map((e) => {
    const raw = typeof e === 'string' ? e : e.path;
    const writable = typeof e === 'string' ? false : e.writable;
    const dest = resolve(raw.replace(/\/\*{1,2}$/, '') || '/');
    let src: string;
    try {
      src = realpathSync(dest);
    } catch {
      throw new SandboxSetupError(`sandbox.allowedPaths: ${dest} does not exist`, `create ${dest} or remove it from sandbox.allowedPaths`);
    }
    return { src, dest, writable };
  });
}

/**
 * Whether host user uid/gid may reach `path` (search on every parent, then read or write), by
 * mode bits; ACLs are not consulted. Used when a root gateway runs sandboxes as `hostUid`.
 */
export function hostUserCan(path: string, uid: number, gid: number, want: 'read' | 'write'): boolean {
  const bit = (mode: number, owner: number, group: number, r: number) => {
    if (uid === owner) return (mode & (r << 6)) !== 0;
    if (gid === group) return (mode & (r << 3)) !== 0;
    return (mode & r) !== 0;
  };
  try {
    let dir = dirname(path);
    for (;;) {
      const st = statSync(dir);
      if (!bit(st.mode, st.uid, st.gid, 1)) return false;
      if (dir === '/') break;
      dir = dirname(dir);
    }
    const st = statSync(path);
    const need = want === 'write' ? 2 : 4;
    return bit(st.mode, st.uid, st.gid, need) && (!st.isDirectory() || bit(st.mode, st.uid, st.gid, 1));
  } catch {
    return false;
  }
}

/** The working directory must exist inside the sandbox: under a bind or a system directory. */
export function sandboxCwd(cwd: string | undefined, binds: Bind[]): string {
  if (!cwd) return '/';
  const abs = isAbsolute(cwd) ? resolve(cwd) : resolve(process.cwd(), cwd);
  if (binds.some((b) => isUnder(abs, b.dest)) || SYSTEM_DIRS.some((d) => isUnder(abs, d))) return abs;
  throw new SandboxSetupError(`the server's cwd ${abs} is not inside the sandbox`, 'add it (or a parent) to sandbox.allowedPaths, or remove cwd');
}
