/**
 * The syscall numbers the seccomp filter names, per architecture, and the audit-arch values the
 * kernel reports in `seccomp_data.arch`. Numbers differ between x86_64 (arch/x86/entry/syscalls/
 * syscall_64.tbl) and aarch64 (include/uapi/asm-generic/unistd.h); syscalls added since 5.1 share
 * one number on every architecture. Only the two architectures Portcullis supports are listed: on
 * any other the filter cannot be built and a required sandbox refuses to start.
 */

export type SeccompArch = 'x64' | 'arm64';

/** AUDIT_ARCH_* from include/uapi/linux/audit.h (EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE). */
export const AUDIT_ARCH: Readonly<Record<SeccompArch, number>> = { x64: 0xc000003e, arm64: 0xc00000b7 };

/**
 * x32 syscalls (the x86_64 ABI with 32-bit pointers) arrive under AUDIT_ARCH_X86_64 with this bit
 * set in the number; a filter that matched numbers only would miss `__X32_SYSCALL_BIT | ptrace`.
 */
export const X32_SYSCALL_BIT = 0x40000000;

export type SyscallName =
  | 'socket'
  | 'clone'
  | 'clone3'
  | 'unshare'
  | 'setns'
  | 'ptrace'
  | 'process_vm_readv'
  | 'process_vm_writev'
  | 'mount'
  | 'umount2'
  | 'pivot_root'
  | 'chroot'
  | 'open_tree'
  | 'move_mount'
  | 'fsopen'
  | 'fsconfig'
  | 'fsmount'
  | 'fspick'
  | 'mount_setattr'
  | 'kexec_load'
  | 'kexec_file_load'
  | 'init_module'
  | 'finit_module'
  | 'delete_module'
  | 'bpf'
  | 'keyctl'
  | 'add_key'
  | 'request_key'
  | 'perf_event_open'
  | 'userfaultfd'
  | 'open_by_handle_at'
  | 'name_to_handle_at'
  | 'reboot'
  | 'swapon'
  | 'swapoff'
  | 'acct'
  | 'iopl'
  | 'ioperm'
  | 'sched_setaffinity'
  | 'io_uring_setup'
  | 'io_uring_enter'
  | 'io_uring_register'
  | 'open_tree_attr'
  | 'kcmp'
  | 'pidfd_getfd'
  | 'process_madvise'
  | 'syslog';

/** `undefined`: the syscall does not exist on that architecture (iopl/ioperm are x86-only). */
export const SYSCALLS: Readonly<Record<SyscallName, Readonly<Record<SeccompArch, number | undefined>>>> = {
  socket: { x64: 41, arm64: 198 },
  clone: { x64: 56, arm64: 220 },
  clone3: { x64: 435, arm64: 435 },
  unshare: { x64: 272, arm64: 97 },
  setns: { x64: 308, arm64: 268 },
  ptrace: { x64: 101, arm64: 117 },
  process_vm_readv: { x64: 310, arm64: 270 },
  process_vm_writev: { x64: 311, arm64: 271 },
  mount: { x64: 165, arm64: 40 },
  umount2: { x64: 166, arm64: 39 },
  pivot_root: { x64: 155, arm64: 41 },
  chroot: { x64: 161, arm64: 51 },
  open_tree: { x64: 428, arm64: 428 },
  move_mount: { x64: 429, arm64: 429 },
  fsopen: { x64: 430, arm64: 430 },
  fsconfig: { x64: 431, arm64: 431 },
  fsmount: { x64: 432, arm64: 432 },
  fspick: { x64: 433, arm64: 433 },
  mount_setattr: { x64: 442, arm64: 442 },
  kexec_load: { x64: 246, arm64: 104 },
  kexec_file_load: { x64: 320, arm64: 294 },
  init_module: { x64: 175, arm64: 105 },
  finit_module: { x64: 313, arm64: 273 },
  delete_module: { x64: 176, arm64: 106 },
  bpf: { x64: 321, arm64: 280 },
  keyctl: { x64: 250, arm64: 219 },
  add_key: { x64: 248, arm64: 217 },
  request_key: { x64: 249, arm64: 218 },
  perf_event_open: { x64: 298, arm64: 241 },
  userfaultfd: { x64: 323, arm64: 282 },
  open_by_handle_at: { x64: 304, arm64: 265 },
  name_to_handle_at: { x64: 303, arm64: 264 },
  reboot: { x64: 169, arm64: 142 },
  swapon: { x64: 167, arm64: 224 },
  swapoff: { x64: 168, arm64: 225 },
  acct: { x64: 163, arm64: 89 },
  iopl: { x64: 172, arm64: undefined },
  ioperm: { x64: 173, arm64: undefined },
  sched_setaffinity: { x64: 203, arm64: 122 },
  io_uring_setup: { x64: 425, arm64: 425 },
  io_uring_enter: { x64: 426, arm64: 426 },
  io_uring_register: { x64: 427, arm64: 427 },
  open_tree_attr: { x64: 467, arm64: 467 },
  kcmp: { x64: 312, arm64: 272 },
  pidfd_getfd: { x64: 438, arm64: 438 },
  process_madvise: { x64: 440, arm64: 440 },
  syslog: { x64: 103, arm64: 116 },
};

/** The architecture of this process, if the filter supports it. */
export function hostSeccompArch(arch: string = process.arch): SeccompArch | undefined {
  return arch === 'x64' || arch === 'arm64' ? arch : undefined;
}
