/**
 * The seccomp program: its bytes are well-formed classic BPF, and run through a reference
 * interpreter (written here, from include/uapi/linux/filter.h semantics, independent of the
 * assembler) it answers each syscall as intended. The e2e escape tests prove the same program in
 * the kernel, from inside a real sandbox.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble, BPF, decode, encode, type SockFilter } from '../../src/sandbox/bpf-assembler.ts';
import { ALWAYS_DENIED, buildSeccompFilter, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS } from '../../src/sandbox/seccomp-filter.ts';
import { AUDIT_ARCH, SYSCALLS, type SeccompArch } from '../../src/sandbox/syscalls.ts';

/** struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6]; } little-endian. */
function data(arch: number, nr: number, args: number[] = []): Buffer {
  const b = Buffer.alloc(64);
  b.writeInt32LE(nr | 0, 0);
  b.writeUInt32LE(arch >>> 0, 4);
  args.forEach((a, i) => b.writeBigUInt64LE(BigInt(a), 16 + 8 * i));
  return b;
}

/** A classic-BPF interpreter for the subset seccomp filters use. */
function run(prog: SockFilter[], input: Buffer): number {
  let a = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc];
    switch (code) {
      case BPF.LD_W_ABS:
        a = input.readUInt32LE(k);
        break;
      case BPF.ALU_AND_K:
        a = (a & k) >>> 0;
        break;
      case BPF.JMP_JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case BPF.JMP_JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case BPF.JMP_JSET_K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case BPF.RET_K:
        return k;
      default:
        throw new Error(`unexpected opcode ${code} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const EPERM = (SECCOMP_RET_ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET_ERRNO | 38) >>> 0;

for (const arch of ['x64', 'arm64'] as SeccompArch[]) {
  const A = AUDIT_ARCH[arch];
  const nr = (n: keyof typeof SYSCALLS) => SYSCALLS[n][arch]!;
  const off = buildSeccompFilter({ arch, denyRawSockets: true, denySetAffinity: false });
  const prog = decode(off.bytes);

  test(`${arch}: the program is whole sock_filter entries, ends in a return, and every jump lands inside it`, () => {
    assert.equal(off.bytes.length % 8, 0);
    assert.equal(prog.length, off.instructions);
    assert.ok(prog.length < 4096);
    assert.equal(prog[prog.length - 1].code, BPF.RET_K);
    prog.forEach((ins, i) => {
      if ([BPF.JMP_JEQ_K, BPF.JMP_JGE_K, BPF.JMP_JSET_K].includes(ins.code)) {
        assert.ok(i + 1 + ins.jt < prog.length && i + 1 + ins.jf < prog.length, `jump at ${i}`);
      }
    });
    // The first thing checked is the architecture.
    assert.deepEqual(prog[0], { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 4 });
    assert.equal(prog[1].code, BPF.JMP_JEQ_K);
    assert.equal(prog[1].k, A);
  });

  test(`${arch}: every listed syscall is refused with EPERM, ordinary ones are allowed`, () => {
    for (const name of ALWAYS_DENIED) {
      const n = SYSCALLS[name][arch];
      if (n === undefined) continue;
      assert.equal(run(prog, data(A, n)), EPERM, name);
    }
    for (const ok of [0, 1, 3, 39, 57, 59, 60, 63, 202, 231]) {
      if ((Object.values(SYSCALLS) as Record<SeccompArch, number | undefined>[]).some((s) => s[arch] === ok)) continue;
      assert.equal(run(prog, data(A, ok)), SECCOMP_RET_ALLOW, `syscall ${ok}`);
    }
  });

  test(`${arch}: new user namespaces are refused, other clone/unshare flags pass; clone3 says ENOSYS`, () => {
    const CLONE_NEWUSER = 0x10000000;
    const SIGCHLD = 17;
    assert.equal(run(prog, data(A, nr('clone'), [CLONE_NEWUSER | SIGCHLD])), EPERM);
    assert.equal(run(prog, data(A, nr('clone'), [0x003d0f00])), SECCOMP_RET_ALLOW, 'pthread_create flags');
    assert.equal(run(prog, data(A, nr('clone'), [SIGCHLD])), SECCOMP_RET_ALLOW, 'fork');
    assert.equal(run(prog, data(A, nr('unshare'), [CLONE_NEWUSER])), EPERM);
    assert.equal(run(prog, data(A, nr('unshare'), [0x00020000])), SECCOMP_RET_ALLOW, 'unshare(CLONE_NEWNS) is left to the missing capability');
    assert.equal(run(prog, data(A, nr('clone3'), [0])), ENOSYS);
  });

  test(`${arch}: io_uring answers ENOSYS (its rings would bypass the filter), as a kernel without it would`, () => {
    for (const n of ['io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const) assert.equal(run(prog, data(A, nr(n))), ENOSYS, n);
    const host = decode(buildSeccompFilter({ arch, denyRawSockets: false, denySetAffinity: false }).bytes);
    assert.equal(run(host, data(A, nr('io_uring_setup'))), ENOSYS, 'whatever the network setting');
  });

  test(`${arch}: what Docker's default profile refuses an unprivileged container and we now do too`, () => {
    for (const n of ['kcmp', 'pidfd_getfd', 'process_madvise', 'syslog', 'open_tree_attr'] as const) assert.equal(run(prog, data(A, nr(n))), EPERM, n);
    const host = decode(buildSeccompFilter({ arch, denyRawSockets: false, denySetAffinity: false }).bytes);
    for (const p of [prog, host]) {
      assert.equal(run(p, data(A, nr('socket'), [38, 5, 0])), EPERM, 'AF_ALG');
      assert.equal(run(p, data(A, nr('socket'), [40, 1, 0])), EPERM, 'AF_VSOCK');
      assert.equal(run(p, data(A, nr('socket'), [39, 1, 0])), SECCOMP_RET_ALLOW, 'AF_NFC (Docker allows it too)');
      assert.equal(run(p, data(A, nr('socket'), [2, 1, 0])), SECCOMP_RET_ALLOW, 'TCP');
    }
  });

  test(`${arch}: with the network off, packet and raw IP sockets are refused; TCP, UDP, unix and netlink pass`, () => {
    const sock = (domain: number, type: number) => run(prog, data(A, nr('socket'), [domain, type, 0]));
    assert.equal(sock(17, 3), EPERM, 'AF_PACKET');
    assert.equal(sock(17, 2), EPERM, 'AF_PACKET dgram');
    assert.equal(sock(2, 3), EPERM, 'AF_INET SOCK_RAW');
    assert.equal(sock(10, 3 | 0x80000 | 0x800), EPERM, 'AF_INET6 SOCK_RAW|CLOEXEC|NONBLOCK');
    assert.equal(sock(2, 1), SECCOMP_RET_ALLOW, 'TCP');
    assert.equal(sock(10, 2), SECCOMP_RET_ALLOW, 'UDP6');
    assert.equal(sock(1, 1), SECCOMP_RET_ALLOW, 'unix');
    assert.equal(sock(16, 3), SECCOMP_RET_ALLOW, 'netlink (getifaddrs) is SOCK_RAW but not IP');
    const host = decode(buildSeccompFilter({ arch, denyRawSockets: false, denySetAffinity: false }).bytes);
    assert.equal(run(host, data(A, nr('socket'), [17, 3])), SECCOMP_RET_ALLOW, 'host network: the kernel capability check decides');
  });

  test(`${arch}: another ABI is killed, not filtered by the wrong numbers`, () => {
    const other = arch === 'x64' ? 0x40000003 /* i386 */ : 0x40000028; /* arm */
    assert.equal(run(prog, data(other, 26)), SECCOMP_RET_KILL_PROCESS);
    if (arch === 'x64') assert.equal(run(prog, data(A, 0x40000000 | nr('ptrace'))), SECCOMP_RET_KILL_PROCESS, 'x32 ptrace');
  });

  test(`${arch}: sched_setaffinity is refused only when the CPU limit is an affinity`, () => {
    const aff = decode(buildSeccompFilter({ arch, denyRawSockets: true, denySetAffinity: true }).bytes);
    assert.equal(run(aff, data(A, nr('sched_setaffinity'))), EPERM);
    assert.equal(run(prog, data(A, nr('sched_setaffinity'))), SECCOMP_RET_ALLOW);
  });
}

test('the assembler refuses backward, out-of-range and undefined jumps', () => {
  assert.throws(() => assemble([{ op: 'label', name: 'a' }, { op: 'jeq', k: 1, jt: 'a', jf: 'next' }, { op: 'ret', k: 0 }]), /out of range/);
  assert.throws(() => assemble([{ op: 'jeq', k: 1, jt: 'nowhere', jf: 'next' }, { op: 'ret', k: 0 }]), /not defined/);
  const far = [{ op: 'jeq' as const, k: 1, jt: 'end', jf: 'next' }, ...Array.from({ length: 300 }, () => ({ op: 'ld' as const, offset: 0 })), { op: 'label' as const, name: 'end' }, { op: 'ret' as const, k: 0 }];
  assert.throws(() => assemble(far), /out of range/);
  assert.throws(() => assemble([{ op: 'ld', offset: 0 }]), /must end with a return/);
});

test('encode/decode round-trip the kernel layout (u16 code, u8 jt, u8 jf, u32 k, little-endian)', () => {
  const f = [{ code: 0x15, jt: 1, jf: 2, k: 0xc000003e }];
  const b = encode(f);
  assert.deepEqual([...b], [0x15, 0x00, 0x01, 0x02, 0x3e, 0x00, 0x00, 0xc0]);
  assert.deepEqual(decode(b), f);
});
