/**
 * A stdio MCP server as a child process. Spawned with an argv array (never a shell), with an
 * environment the caller decides (scrubbed in `run`, inherited in `wrap`, the sandbox's own when
 * sandboxed). stdout carries newline-delimited JSON-RPC; stderr is the server's log and is passed
 * through, line-capped and volume-capped.
 *
 * A sandboxed server is started from a `LaunchSpec` (src/sandbox/): the sandbox's argv, extra
 * descriptors it reads at start (the seccomp program, synthesized files), a hook that runs once
 * the process exists but before the server does (cgroup placement), and a cleanup after exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from './line-splitter.ts';
import { WriteBatcher } from '../util/write-batcher.ts';
import type { TransportLimits, UpstreamTransport } from './transport.ts';

export interface LaunchSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Host user/group to run as (a root gateway's sandboxes run unprivileged). */
  uid?: number;
  gid?: number;
  /** How many extra pipes the child gets after stdio (fd 3, 4, ...); `onSpawn` feeds them. */
  extraFds?: number;
  /**
   * Runs once the process exists; rejecting kills it. `kill` stops it later (the memory
   * watchdog): `reason` goes to the log and audit, `wire` to the calls it ends.
   */
  onSpawn?: (child: ChildProcess, ctl: { kill(reason: string, wire?: string): void }) => Promise<void>;
  /** Runs once it has exited (or failed to start). */
  cleanup?: () => void;
}

export interface StdioOptions extends TransportLimits {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Builds the launch at each start (sandboxed servers); without it, command/args/env are spawned. */
  launch?: () => Promise<LaunchSpec>;
  /** Where the server's stderr lines go (default: our stderr, prefixed). */
  onStderr?: (line: string) => void;
  /** Bytes queued to the server's stdin beyond which sends fail (the server stopped reading). */
  maxQueuedBytes?: number;
  /**
   * A server still writing one message past this many bytes is killed: the line splitter drops
   * what is over `maxMessageBytes` without keeping it, but draining an endless message would cost
   * the gateway CPU for as long as the server likes.
   */
  maxOutputBytes?: number;
  /** Stderr bytes logged per minute; the rest is counted and summarized (a server printing a gigabyte of log). */
  maxStderrBytesPerMinute?: number;
}

/** The variables a server needs to run at all; everything else must be configured (`env`). */
export const DEFAULT_ENV_ALLOWLIST = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'NODE_EXTRA_CA_CERTS'];

export function scrubbedEnv(extra: Record<string, string> | undefined, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of DEFAULT_ENV_ALLOWLIST) if (base[k] !== undefined) env[k] = base[k];
  return { ...env, ...extra };
}

export class StdioTransport implements UpstreamTransport {
  onmessage?: (bytes: Buffer) => void;
  onerror?: (err: Error) => void;
  onclose?: (reason: string) => void;
  onoversize?: (bytes: number, tail: Buffer, head?: Buffer) => void;
  private batcher?: WriteBatcher;
  onkill?: (reason: string, wire?: string) => void;
  private child?: ChildProcess;
  private exited = false;
  private killReason?: string;
  private readonly opts: StdioOptions;

  constructor(opts: StdioOptions) {
    this.opts = opts;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const spec: LaunchSpec = o.launch ? await o.launch() : { command: o.command, args: o.args, env: o.env, cwd: o.cwd };
    await new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        const stdio: 'pipe'[] = Array<'pipe'>(3 + (spec.extraFds ?? 0)).fill('pipe');
        child = spawn(spec.command, spec.args, { env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid, stdio, shell: false, windowsHide: true });
      } catch (err) {
        spec.cleanup?.();
        reject(err);
        return;
      }
      this.child = child;
      // The setup descriptors (seccomp program, files, bwrap's info and block pipes) go when the
      // child goes; a reset on one of them then is no error of the server's, and unhandled it
      // would take the gateway down.
      for (let i = 3; i < child.stdio.length; i++) (child.stdio[i] as NodeJS.EventEmitter | null)?.on('error', () => {});
      this.wireOutput(child);
      child.once('spawn', () => {
        if (!spec.onSpawn) return resolve();
        spec.onSpawn(child, { kill: (reason, wire) => this.kill(reason, wire) }).then(resolve, (err: Error) => {
          this.kill(`sandbox setup failed: ${err.message}`);
          reject(err);
        });
      });
      child.once('error', (err) => {
        if (!this.exited) {
          this.exited = true;
          spec.cleanup?.();
          reject(err);
          this.onclose?.(`failed to start: ${err.message}`);
        }
      });
      child.once('exit', (code, signal) => {
        if (this.exited) return;
        this.exited = true;
        spec.cleanup?.();
        reject(new Error(`server exited with code ${code} during start`));
        this.onclose?.(this.killReason ?? (signal ? `server killed by ${signal}` : `server exited with code ${code}`));
      });
    });
  }

  private wireOutput(child: ChildProcess): void {
    const o = this.opts;
    const splitter = new LineSplitter(
      o.maxMessageBytes,
      (line) => this.onmessage?.(line),
      (n, tail, head) => {
        this.onerror?.(new Error(`server wrote a ${n}-byte message, over the ${o.maxMessageBytes}-byte limit; dropped`));
        this.onoversize?.(n, tail, head);
      },
      o.maxOutputBytes === undefined
        ? undefined
        : {
            maxBytes: o.maxOutputBytes,
            onRunaway: (n, tail, head) => {
              // Fail the call it answers first (RESULT_TOO_LARGE), then stop the server.
              this.onoversize?.(n, tail, head);
              this.kill(`server killed: still writing one message after ${n} bytes (maxOutputBytes ${o.maxOutputBytes})`);
            },
          },
    );
    child.stdout!.on('data', (c: Buffer) => splitter.push(c));
    const log = o.onStderr ?? ((l: string) => process.stderr.write(`[${o.command}] ${l}\n`));
    const budget = new StderrBudget(o.maxStderrBytesPerMinute ?? 256 * 1024, log);
    const errSplitter = new LineSplitter(16 * 1024, (line) => budget.line(line.toString('utf8')), () => {});
    child.stderr!.on('data', (c: Buffer) => errSplitter.push(c));
    child.stdin!.on('error', (err) => this.onerror?.(err));
  }

  send(message: string): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.exited || stdin.destroyed) return Promise.reject(new Error('server is not running'));
    const cap = this.opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    if (stdin.writableLength > cap) return Promise.reject(new Error('server is not reading its input'));
    (this.batcher ??= new WriteBatcher(stdin)).write(message + '\n');
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    // The stdio shutdown sequence of the MCP spec: close stdin, then SIGTERM, then SIGKILL.
    child.stdin?.end();
    const t1 = setTimeout(() => child.kill('SIGTERM'), 1000);
    const t2 = setTimeout(() => child.kill('SIGKILL'), 4000);
    await done;
    clearTimeout(t1);
    clearTimeout(t2);
  }

  /**
   * SIGKILL; `reason` becomes the close reason (audited), `wire` what the calls it ends are told.
   * A sandbox dies whole with its first process.
   */
  kill(reason?: string, wire?: string): void {
    if (reason && !this.exited && !this.killReason) {
      this.killReason = reason;
      this.onkill?.(reason, wire);
    }
    this.child?.kill('SIGKILL');
  }
}

/**
 * Logs stderr lines up to a byte budget per minute: once over it, one line says so, the rest of
 * that minute is only counted, and the count is logged when the next minute starts.
 */
class StderrBudget {
  private windowStart = Date.now();
  private used = 0;
  private dropped = 0;
  private readonly max: number;
  private readonly log: (line: string) => void;

  constructor(max: number, log: (line: string) => void) {
    this.max = max;
    this.log = log;
  }

  line(text: string): void {
    const now = Date.now();
    if (now - this.windowStart >= 60_000) {
      if (this.dropped) this.log(`(${this.dropped} bytes of stderr not logged in the last minute: over ${this.max} bytes/minute)`);
      this.windowStart = now;
      this.used = 0;
      this.dropped = 0;
    }
    if (this.used + text.length > this.max) {
      if (this.dropped === 0) this.log(`(stderr over ${this.max} bytes this minute: the rest of the minute is not logged)`);
      this.dropped += text.length;
      return;
    }
    this.used += text.length;
    this.log(text);
  }
}
