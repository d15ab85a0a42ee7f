/**
 * The seccomp filter every bubblewrap-sandboxed server runs under: a classic-BPF program built
 * here, byte for byte (nothing downloaded, no libseccomp), handed to `bwrap --seccomp FD`.
 *
 * It denies what a tool server never needs and what container escapes are made of: debugging
 * other processes (ptrace, process_vm_*, kcmp, pidfd_getfd, process_madvise), the mount API,
 * kexec and kernel modules, bpf, the kernel keyring, new user namespaces (unshare/clone with
 * CLONE_NEWUSER), setns, perf_event_open, userfaultfd (a race-widening exploit aid),
 * open_by_handle_at (the "shocker" escape), the kernel log (syslog), reboot/swap/acct, x86 port
 * I/O, the kernel crypto and hypervisor sockets (AF_ALG, AF_VSOCK) and — when the network is off —
 * packet and raw IP sockets. io_uring answers ENOSYS: its rings carry file and socket operations
 * the kernel performs without a syscall this filter could see, so it would bypass every rule
 * here; ENOSYS (not EPERM) is what a kernel built without it says, and every runtime that uses it
 * (libuv, tokio, liburing) falls back from that. clone3, whose flags sit in memory the filter
 * cannot read, answers ENOSYS too, so libc falls back to clone. Everything else is allowed: the
 * namespaces, the dropped capabilities, the read-only mounts and the limits do the rest (docs/
 * sandbox.md compares this list with Docker's default profile). A syscall from a foreign ABI
 * (i386 `int 0x80`, x32) kills the process: those tables number syscalls differently, so a
 * filter keyed on x86_64 numbers would not see them.
 */
import { assemble, encode, type Instruction } from './bpf-assembler.ts';
import { AUDIT_ARCH, SYSCALLS, X32_SYSCALL_BIT, type SeccompArch, type SyscallName } from './syscalls.ts';

// include/uapi/linux/seccomp.h
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const EPERM = 1;
export const ENOSYS = 38;

// struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6] (little-endian).
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i;

export const CLONE_NEWUSER = 0x10000000;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;
/** The kernel crypto API as sockets: reachable kernel code with a long record of memory-safety bugs. */
export const AF_ALG = 38;
/** Sockets to the hypervisor (or host, under Firecracker/QEMU): a way out of the VM, not just the sandbox. */
export const AF_VSOCK = 40;
export const SOCK_RAW = 3;
const SOCK_TYPE_MASK = 0xf;

/** Denied outright, whatever the arguments. */
export const ALWAYS_DENIED: readonly SyscallName[] = [
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'open_tree',
  'move_mount',
  'fsopen',
  'fsconfig',
  'fsmount',
  'fspick',
  'mount_setattr',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'bpf',
  'keyctl',
  'add_key',
  'request_key',
  'setns',
  'perf_event_open',
  'userfaultfd',
  'open_by_handle_at',
  'name_to_handle_at',
  'reboot',
  'swapon',
  'swapoff',
  'acct',
  'iopl',
  'ioperm',
  'open_tree_attr',
  'kcmp',
  'pidfd_getfd',
  'process_madvise',
  'syslog',
];

/** Answered ENOSYS, as if the kernel lacked them, so that callers take their fallback path. */
export const ABSENT: readonly SyscallName[] = ['clone3', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'];

/** Socket families refused whatever the network setting. */
export const DENIED_SOCKET_FAMILIES: readonly number[] = [AF_ALG, AF_VSOCK];

export interface SeccompOptions {
  arch: SeccompArch;
  /** `network: none`: AF_PACKET and raw IPv4/IPv6 sockets are refused too. */
  denyRawSockets: boolean;
  /** CPU limited by affinity (no cgroup): the server may not widen its own CPU mask. */
  denySetAffinity: boolean;
}

export interface SeccompProgram {
  bytes: Buffer;
  instructions: number;
  /** The syscall names refused (for logs, audit and doctor). */
  denied: string[];
}

export function buildSeccompFilter(o: SeccompOptions): SeccompProgram {
  const nr = (name: SyscallName) => SYSCALLS[name][o.arch];
  const deniedNames = ALWAYS_DENIED.filter((n) => nr(n) !== undefined) as SyscallName[];
  if (o.denySetAffinity) deniedNames.push('sched_setaffinity');
  const p: Instruction[] = [
    { op: 'ld', offset: OFF_ARCH },
    { op: 'jeq', k: AUDIT_ARCH[o.arch], jt: 'next', jf: 'kill' },
    { op: 'ld', offset: OFF_NR },
  ];
  if (o.arch === 'x64') p.push({ op: 'jge', k: X32_SYSCALL_BIT, jt: 'kill', jf: 'next' });
  for (const name of deniedNames) p.push({ op: 'jeq', k: nr(name)!, jt: 'eperm', jf: 'next' });
  for (const name of ABSENT) p.push({ op: 'jeq', k: nr(name)!, jt: 'enosys', jf: 'next' });
  p.push(
    { op: 'jeq', k: nr('clone')!, jt: 'newuser', jf: 'next' },
    { op: 'jeq', k: nr('unshare')!, jt: 'newuser', jf: 'next' },
    { op: 'jeq', k: nr('socket')!, jt: 'socket', jf: 'next' },
    { op: 'ret', k: SECCOMP_RET_ALLOW },
    // clone(flags, ...) and unshare(flags): flags are the first argument on both architectures.
    { op: 'label', name: 'newuser' },
    { op: 'ld', offset: argLow(0) },
    { op: 'jset', k: CLONE_NEWUSER, jt: 'eperm', jf: 'allow' },
    // socket(domain, type, protocol): the kernel reads both as int, so the low word is the value.
    { op: 'label', name: 'socket' },
    { op: 'ld', offset: argLow(0) },
    ...DENIED_SOCKET_FAMILIES.map((f): Instruction => ({ op: 'jeq', k: f, jt: 'eperm', jf: 'next' })),
  );
  if (o.denyRawSockets) {
    p.push(
      { op: 'jeq', k: AF_PACKET, jt: 'eperm', jf: 'next' },
      { op: 'jeq', k: AF_INET, jt: 'rawtype', jf: 'next' },
      { op: 'jeq', k: AF_INET6, jt: 'rawtype', jf: 'allow' },
      { op: 'label', name: 'rawtype' },
      { op: 'ld', offset: argLow(1) },
      { op: 'and', k: SOCK_TYPE_MASK }, // strip SOCK_NONBLOCK / SOCK_CLOEXEC
      { op: 'jeq', k: SOCK_RAW, jt: 'eperm', jf: 'allow' },
    );
  }
  p.push(
    { op: 'label', name: 'allow' },
    { op: 'ret', k: SECCOMP_RET_ALLOW },
    { op: 'label', name: 'eperm' },
    { op: 'ret', k: SECCOMP_RET_ERRNO | EPERM },
    { op: 'label', name: 'enosys' },
    { op: 'ret', k: SECCOMP_RET_ERRNO | ENOSYS },
    { op: 'label', name: 'kill' },
    { op: 'ret', k: SECCOMP_RET_KILL_PROCESS },
  );
  const filters = assemble(p);
  const denied = [...deniedNames, 'clone(CLONE_NEWUSER)', 'unshare(CLONE_NEWUSER)', ...ABSENT.map((n) => `${n}(ENOSYS)`), 'socket(AF_ALG|AF_VSOCK)'];
  if (o.denyRawSockets) denied.push('socket(AF_PACKET|SOCK_RAW)');
  return { bytes: encode(filters), instructions: filters.length, denied };
}
