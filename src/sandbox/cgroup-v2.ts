/**
 * cgroup v2 for sandbox limits, when the host delegates it to the gateway.
 *
 * "Delegated" means: the gateway's own cgroup (from /proc/self/cgroup, `0::/path`) on a cgroup2
 * mount is writable by the gateway and has the `memory` and `pids` controllers available. Child
 * cgroups can only get a controller that the parent enables in `cgroup.subtree_control`, and a
 * cgroup that enables controllers for children may hold no processes itself (the "no internal
 * processes" rule). So when the gateway is alone in its cgroup (systemd `Delegate=yes`, or
 * `systemd-run --user --scope -p Delegate=yes`), it first moves itself into a leaf
 * `portcullis-gateway` and then enables the controllers; when other processes share its cgroup,
 * that would move them too, so it does not, and the rlimit fallback applies.
 *
 * Each sandbox gets `<gateway cgroup>/portcullis-<server>-<random>` with memory.max (swap off),
 * pids.max and cpu.max; the sandbox's first process is moved into it before it runs anything
 * (bwrap --info-fd / --block-fd, see bubblewrap.ts), and the cgroup is removed after exit.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupLimits } from './limits.ts';

export interface CgroupDelegation {
  /** The directory new sandbox cgroups go under, when usable. */
  dir?: string;
  /** Controllers a sandbox cgroup will have (empty when not usable). */
  controllers: Set<string>;
  /** Why it is or is not usable, for logs and doctor. */
  detail: string;
}

const WANTED = ['memory', 'pids', 'cpu'];

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** The cgroup2 mount point, from /proc/self/mountinfo (`... - cgroup2 cgroup2 rw`). */
export function cgroup2Mount(mountinfo = '/proc/self/mountinfo'): string | undefined {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (post?.startsWith('cgroup2 ')) return pre.split(' ')[4];
  }
  return undefined;
}

/** This process's cgroup v2 path (`0::/x` in /proc/self/cgroup). */
export function ownCgroupPath(procCgroup = '/proc/self/cgroup'): string | undefined {
  try {
    const line = readFileSync(procCgroup, 'utf8').split('\n').find((l) => l.startsWith('0::'));
    return line?.slice(3);
  } catch {
    return undefined;
  }
}

/** What the host offers, without changing anything (doctor uses this). */
export function inspectDelegation(mount = cgroup2Mount(), own = ownCgroupPath()): CgroupDelegation & { movable?: boolean; available: string[] } {
  const none = (detail: string) => ({ controllers: new Set<string>(), detail, available: [] as string[] });
  if (!mount) return none('no cgroup2 mount');
  if (own === undefined) return none('this process has no cgroup v2 path');
  const dir = join(mount, own);
  const available = readWords(join(dir, 'cgroup.controllers'));
  const missing = ['memory', 'pids'].filter((c) => !available.includes(c));
  if (missing.length) return { ...none(`cgroup v2 at ${dir} lacks the ${missing.join(' and ')} controller(s) (available: ${available.join(' ') || 'none'})`), available };
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return { ...none(`cgroup v2 ${dir} is not writable by this user (not delegated)`), available };
  }
  const enabled = readWords(join(dir, 'cgroup.subtree_control'));
  const usable = WANTED.filter((c) => enabled.includes(c));
  if (usable.includes('memory') && usable.includes('pids')) {
    return { dir, controllers: new Set(usable), detail: `cgroup v2 ${dir} (delegated: ${usable.join(' ')})`, available };
  }
  const procs = readWords(join(dir, 'cgroup.procs'));
  const movable = procs.length === 1 && procs[0] === String(process.pid);
  return {
    controllers: new Set(),
    detail: movable
      ? `cgroup v2 ${dir} is delegated; the gateway will move into a leaf to enable ${WANTED.filter((c) => available.includes(c)).join(' ')}`
      : `cgroup v2 ${dir} is writable but shared with ${procs.length - 1} other process(es); not enabling controllers under them`,
    movable,
    available,
  };
}

let prepared: CgroupDelegation | undefined;

/** Make delegation usable if it can be (moving the gateway into a leaf once); cached. */
export function prepareDelegation(): CgroupDelegation {
  if (prepared) return prepared;
  const seen = inspectDelegation();
  if (seen.dir || !seen.movable) return (prepared = seen);
  const dir = join(cgroup2Mount()!, ownCgroupPath()!);
  try {
    const leaf = join(dir, 'portcullis-gateway');
    if (!existsSync(leaf)) mkdirSync(leaf);
    writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid));
    const want = WANTED.filter((c) => seen.available.includes(c));
    writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
    return (prepared = { dir, controllers: new Set(want), detail: `cgroup v2 ${dir} (gateway moved to a leaf; delegated: ${want.join(' ')})` });
  } catch (err) {
    return (prepared = { controllers: new Set(), detail: `cgroup v2 ${dir}: could not enable controllers (${(err as Error).message})` });
  }
}

export class SandboxCgroup {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  static create(parent: string, server: string, limits: CgroupLimits, controllers: ReadonlySet<string>): SandboxCgroup {
    const path = join(parent, `portcullis-${server}-${randomBytes(4).toString('hex')}`);
    mkdirSync(path);
    const cg = new SandboxCgroup(path);
    try {
      writeFileSync(join(path, 'pids.max'), String(limits.pidsMax));
      if (limits.memoryMax !== undefined) {
        writeFileSync(join(path, 'memory.max'), String(limits.memoryMax));
        // Swap would let a memory bomb push the host into swapping instead of being stopped.
        if (existsSync(join(path, 'memory.swap.max'))) writeFileSync(join(path, 'memory.swap.max'), '0');
      }
      if (limits.cpuMax && controllers.has('cpu')) writeFileSync(join(path, 'cpu.max'), `${limits.cpuMax.quota} ${limits.cpuMax.period}`);
    } catch (err) {
      cg.remove();
      throw err;
    }
    return cg;
  }

  /** Move a process (and so everything it will start) into this cgroup. */
  attach(pid: number): void {
    writeFileSync(join(this.path, 'cgroup.procs'), String(pid));
  }

  /** Once the sandbox has exited (the kernel refuses while processes remain; then it is retried once). */
  remove(): void {
    try {
      rmdirSync(this.path);
    } catch {
      setTimeout(() => {
        try {
          rmdirSync(this.path);
        } catch {
          /* left for the operator: an empty cgroup costs nothing */
        }
      }, 1000).unref();
    }
  }
}
