/**
 * Every process the bench starts goes through `start`, so every one of them — and whatever it
 * spawned in turn — is stopped at the end, on success, on error and on Ctrl-C alike.
 *
 * Children are stopped by their own pid (SIGTERM, then SIGKILL after a grace period). Their
 * descendants are found through /proc (`task/<tid>/children`) before the parent goes, and any that
 * outlive it are killed by pid too, after checking the pid still names the same process (start
 * time), so a recycled pid is never hit.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Tracked {
  name: string;
  proc: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

const live = new Set<Tracked>();
const stopping = new Set<Tracked>();

/** Processes that died on their own (not stopped by the bench), with the tail of their stderr. */
export const unexpectedExits: { name: string; pid: number; code: number | null; signal: string | null; stderr: string }[] = [];

/** `keepStdout`: how much of stdout to keep (the tail); load generators print large JSON results. */
export function start(name: string, command: string, args: string[], opts: SpawnOptions = {}, keepStdout = 65536): Tracked {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (proc.pid === undefined) throw new Error(`${name}: failed to spawn ${command}`);
  let out = '';
  let err = '';
  // Keep only the tail: a chatty child must not grow the bench's memory.
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    if (out.length > keepStdout) out = out.slice(-keepStdout);
  });
  proc.stderr?.on('data', (c: Buffer) => {
    err = (err + c.toString('utf8')).slice(-65536);
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code, signal) => {
      if (!stopping.has(t) && (code !== 0 || signal)) unexpectedExits.push({ name, pid: t.pid, code, signal, stderr: err.slice(-3000) });
      resolve(code);
    }),
  );
  const t: Tracked = { name, proc, pid: proc.pid, stdout: () => out, stderr: () => err, exited };
  live.add(t);
  void exited.then(() => live.delete(t));
  return t;
}

/** Resolves with the first match of `re` on the child's stdout (or stderr), or rejects on exit/timeout. */
export function waitFor(t: Tracked, re: RegExp, timeoutMs = 30_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const src = stream === 'stdout' ? t.proc.stdout : t.proc.stderr;
    const read = stream === 'stdout' ? t.stdout : t.stderr;
    const check = () => {
      const m = re.exec(read());
      if (m) {
        done();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${t.name} exited with ${code} before ready:\n${t.stderr().slice(-4000)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${t.name} not ready after ${timeoutMs} ms:\n${t.stderr().slice(-4000)}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      src?.off('data', onData);
      t.proc.off('exit', onExit);
    };
    const onData = () => setImmediate(check);
    src?.on('data', onData);
    t.proc.once('exit', onExit);
    check();
  });
}

function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Pids of all descendants of `pid`, with their start times (to recognise them later). */
export function descendants(pid: number): Map<number, string> {
  const found = new Map<number, string>();
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      let kids: string[] = [];
      try {
        kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      } catch {
        continue;
      }
      for (const k of kids) {
        const c = Number(k);
        const st = startTime(c);
        if (st !== undefined && !found.has(c)) {
          found.set(c, st);
          stack.push(c);
        }
      }
    }
  }
  return found;
}

function killIfSame(pid: number, st: string, signal: NodeJS.Signals): void {
  if (startTime(pid) !== st) return;
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM, wait up to `graceMs`, SIGKILL; then any descendant still alive is killed by pid. */
export async function stop(t: Tracked, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  stopping.add(t);
  const kids = descendants(t.pid);
  if (t.proc.exitCode === null && t.proc.signalCode === null) {
    t.proc.kill(signal);
    const timer = setTimeout(() => t.proc.kill('SIGKILL'), graceMs);
    await t.exited;
    clearTimeout(timer);
  }
  // Give orphans a moment to notice their closed stdin, then make sure.
  if (kids.size) await new Promise((r) => setTimeout(r, 200));
  for (const [pid, st] of kids) killIfSame(pid, st, 'SIGTERM');
  if (kids.size) await new Promise((r) => setTimeout(r, 300));
  for (const [pid, st] of kids) killIfSame(pid, st, 'SIGKILL');
  live.delete(t);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((t) => stop(t, 3_000)));
}

/** Last resort on a synchronous exit path: SIGKILL everything still known, by pid. */
function killAllSync(): void {
  for (const t of live) {
    stopping.add(t);
    const kids = descendants(t.pid);
    try {
      t.proc.kill('SIGKILL');
    } catch {
      // gone
    }
    for (const [pid, st] of kids) killIfSame(pid, st, 'SIGKILL');
  }
  live.clear();
}

let installed = false;
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`bench: ${sig}, stopping children\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the comm: state=0, ... utime=11, stime=12 (fields 14 and 15 of proc(5)).
  return (Number(f[11]) + Number(f[12])) / clockTicks();
}

/** Resident set size in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

let ticks: number | undefined;
function clockTicks(): number {
  // USER_HZ is 100 on every Linux ABI Node supports; `getconf CLK_TCK` would say the same.
  ticks ??= 100;
  return ticks;
}
