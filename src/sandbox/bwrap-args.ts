/**
 * The bubblewrap argv for one sandboxed server: a pure function of what bubblewrap.ts resolved.
 *
 * The sandbox is a minimal view of the host, built mount by mount on an empty root (bwrap starts
 * from a tmpfs): the system directories read-only, a few /etc files, synthesized passwd/group
 * (and hosts, without host networking), a fresh /dev and /proc, a private size-capped /tmp, then
 * only the configured paths. /root, /home, /var, /etc/shadow, the host's /tmp and everything else
 * are simply not there. Order matters: /tmp is mounted before binds that live under it, binds go
 * parent before child, and the root is made read-only last.
 *
 * Namespaces: user (so nothing inside is privileged on the host), pid (the host's processes are
 * invisible and the whole tree dies with its first process), ipc, uts, cgroup, and net unless the
 * host network is wanted. `--disable-userns` (bwrap ≥ 0.8) and the seccomp filter both stop new
 * user namespaces; `--new-session` stops TIOCSTI keystroke injection into a terminal;
 * `--die-with-parent` ties the sandbox's life to the gateway's.
 */

export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
export const SANDBOX_HOSTNAME = 'mcp-sandbox';

export type SystemEntry = { kind: 'ro-bind'; path: string } | { kind: 'symlink'; path: string; target: string };

export interface Bind {
  src: string;
  dest: string;
  writable: boolean;
}

export interface BwrapSpec {
  system: SystemEntry[];
  /** Host /etc entries bound read-only when present. */
  etc: string[];
  /** Files written from a descriptor (`--ro-bind-data FD DEST`). */
  data: { fd: number; dest: string }[];
  binds: Bind[];
  tmpSizeBytes: number;
  shareNet: boolean;
  readOnlyRoot: boolean;
  /** Capability names (CAP_*) kept; all others dropped. */
  capabilities: string[];
  /** bwrap ≥ 0.8. */
  disableUserns: boolean;
  seccompFd: number;
  infoFd?: number;
  blockFd?: number;
  chdir: string;
  command: string[];
}

export function bwrapArgs(s: BwrapSpec): string[] {
  const a: string[] = ['--die-with-parent', '--new-session'];
  a.push('--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (!s.shareNet) a.push('--unshare-net');
  if (s.disableUserns) a.push('--disable-userns');
  a.push('--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_GID), '--hostname', SANDBOX_HOSTNAME);
  a.push('--cap-drop', 'ALL');
  for (const c of s.capabilities) a.push('--cap-add', c);
  for (const e of s.system) {
    if (e.kind === 'symlink') a.push('--symlink', e.target, e.path);
    else a.push('--ro-bind', e.path, e.path);
  }
  a.push('--dev', '/dev', '--proc', '/proc');
  a.push('--perms', '1777', '--size', String(s.tmpSizeBytes), '--tmpfs', '/tmp');
  for (const p of s.etc) a.push('--ro-bind-try', p, p);
  for (const d of s.data) a.push('--ro-bind-data', String(d.fd), d.dest);
  for (const b of [...s.binds].sort((x, y) => depth(x.dest) - depth(y.dest))) a.push(b.writable ? '--bind' : '--ro-bind', b.src, b.dest);
  if (s.readOnlyRoot) a.push('--remount-ro', '/');
  a.push('--seccomp', String(s.seccompFd));
  if (s.infoFd !== undefined) a.push('--info-fd', String(s.infoFd));
  if (s.blockFd !== undefined) a.push('--block-fd', String(s.blockFd));
  a.push('--chdir', s.chdir, '--', ...s.command);
  return a;
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

/** /etc/passwd and /etc/group for the sandbox: its own user, no host accounts. */
export function passwdFile(): string {
  return `root:x:0:0:root:/root:/usr/sbin/nologin\nmcp:x:${SANDBOX_UID}:${SANDBOX_GID}:mcp:/tmp:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`;
}

export function groupFile(): string {
  return `root:x:0:\nmcp:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`;
}

export function hostsFile(): string {
  return `127.0.0.1\tlocalhost ${SANDBOX_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
}
