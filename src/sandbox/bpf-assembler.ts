/**
 * A tiny classic-BPF assembler for seccomp filters: instructions with symbolic jump targets in,
 * `struct sock_filter[]` bytes out (include/uapi/linux/filter.h: u16 code, u8 jt, u8 jf, u32 k,
 * in host byte order). Classic BPF only jumps forward, by at most 255 instructions; a target that
 * lies behind or too far is an error here, never a silently wrong program.
 */

// Opcodes (include/uapi/linux/bpf_common.h): class | size | mode, or class | op | source.
export const BPF = Object.freeze({
  LD_W_ABS: 0x00 | 0x00 | 0x20, // BPF_LD | BPF_W | BPF_ABS
  ALU_AND_K: 0x04 | 0x50 | 0x00, // BPF_ALU | BPF_AND | BPF_K
  JMP_JEQ_K: 0x05 | 0x10 | 0x00, // BPF_JMP | BPF_JEQ | BPF_K
  JMP_JGE_K: 0x05 | 0x30 | 0x00, // BPF_JMP | BPF_JGE | BPF_K
  JMP_JSET_K: 0x05 | 0x40 | 0x00, // BPF_JMP | BPF_JSET | BPF_K
  RET_K: 0x06 | 0x00, // BPF_RET | BPF_K
});

/** A jump target: a label, or `next` (fall through). */
export type Target = string;

export type Instruction =
  | { op: 'label'; name: string }
  | { op: 'ld'; offset: number }
  | { op: 'and'; k: number }
  | { op: 'jeq' | 'jge' | 'jset'; k: number; jt: Target; jf: Target }
  | { op: 'ret'; k: number };

export interface SockFilter {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export const SOCK_FILTER_BYTES = 8;
/** BPF_MAXINSNS: the kernel refuses longer classic programs. */
export const BPF_MAXINSNS = 4096;

export function assemble(program: Instruction[]): SockFilter[] {
  const labels = new Map<string, number>();
  const real: Exclude<Instruction, { op: 'label' }>[] = [];
  for (const ins of program) {
    if (ins.op === 'label') {
      if (labels.has(ins.name)) throw new Error(`BPF label '${ins.name}' defined twice`);
      labels.set(ins.name, real.length);
    } else {
      real.push(ins);
    }
  }
  if (real.length === 0 || real.length > BPF_MAXINSNS) throw new Error(`BPF program of ${real.length} instructions`);
  if (real[real.length - 1].op !== 'ret') throw new Error('a BPF program must end with a return');
  const rel = (from: number, target: Target): number => {
    if (target === 'next') return 0;
    const at = labels.get(target);
    if (at === undefined) throw new Error(`BPF label '${target}' is not defined`);
    const d = at - (from + 1);
    if (d < 0 || d > 255) throw new Error(`BPF jump from ${from} to '${target}' (${d}) is out of range`);
    return d;
  };
  return real.map((ins, i): SockFilter => {
    switch (ins.op) {
      case 'ld':
        return { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: ins.offset };
      case 'and':
        return { code: BPF.ALU_AND_K, jt: 0, jf: 0, k: ins.k >>> 0 };
      case 'ret':
        return { code: BPF.RET_K, jt: 0, jf: 0, k: ins.k >>> 0 };
      default: {
        const code = ins.op === 'jeq' ? BPF.JMP_JEQ_K : ins.op === 'jge' ? BPF.JMP_JGE_K : BPF.JMP_JSET_K;
        return { code, jt: rel(i, ins.jt), jf: rel(i, ins.jf), k: ins.k >>> 0 };
      }
    }
  });
}

/** The bytes the kernel (and `bwrap --seccomp FD`) reads: little-endian on x86_64 and aarch64. */
export function encode(filters: SockFilter[]): Buffer {
  const b = Buffer.alloc(filters.length * SOCK_FILTER_BYTES);
  filters.forEach((f, i) => {
    const o = i * SOCK_FILTER_BYTES;
    b.writeUInt16LE(f.code, o);
    b.writeUInt8(f.jt, o + 2);
    b.writeUInt8(f.jf, o + 3);
    b.writeUInt32LE(f.k, o + 4);
  });
  return b;
}

export function decode(bytes: Buffer): SockFilter[] {
  if (bytes.length % SOCK_FILTER_BYTES !== 0) throw new Error('not a whole number of sock_filter entries');
  const out: SockFilter[] = [];
  for (let o = 0; o < bytes.length; o += SOCK_FILTER_BYTES) {
    out.push({ code: bytes.readUInt16LE(o), jt: bytes.readUInt8(o + 2), jf: bytes.readUInt8(o + 3), k: bytes.readUInt32LE(o + 4) });
  }
  return out;
}
