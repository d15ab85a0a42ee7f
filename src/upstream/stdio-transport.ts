/**
 * A stdio MCP server as a child process. Spawned with an argv array (never a shell), with an
 * environment the caller decides (scrubbed in `run`, inherited in `wrap`). stdout carries
 * newline-delimited JSON-RPC; stderr is the server's log and is passed through, line-capped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from './line-splitter.ts';
import type { TransportLimits, UpstreamTransport } from './transport.ts';

export interface StdioOptions extends TransportLimits {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the server's stderr lines go (default: our stderr, prefixed). */
  onStderr?: (line: string) => void;
  /** Bytes queued to the server's stdin beyond which sends fail (the server stopped reading). */
  maxQueuedBytes?: number;
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
  private child?: ChildProcess;
  private exited = false;
  private readonly opts: StdioOptions;

  constructor(opts: StdioOptions) {
    this.opts = opts;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    const o = this.opts;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(o.command, o.args, { env: o.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'], shell: false, windowsHide: true });
      } catch (err) {
        reject(err);
        return;
      }
      this.child = child;
      const splitter = new LineSplitter(
        o.maxMessageBytes,
        (line) => this.onmessage?.(line),
        (n, tail, head) => {
          this.onerror?.(new Error(`server wrote a ${n}-byte message, over the ${o.maxMessageBytes}-byte limit; dropped`));
          this.onoversize?.(n, tail, head);
        },
      );
      child.stdout!.on('data', (c: Buffer) => splitter.push(c));
      const errSplitter = new LineSplitter(
        16 * 1024,
        (line) => (o.onStderr ?? ((l) => process.stderr.write(`[${o.command}] ${l}\n`)))(line.toString('utf8')),
        () => {},
      );
      child.stderr!.on('data', (c: Buffer) => errSplitter.push(c));
      child.stdin!.on('error', (err) => this.onerror?.(err));
      child.once('spawn', () => resolve());
      child.once('error', (err) => {
        if (!this.exited) {
          this.exited = true;
          reject(err);
          this.onclose?.(`failed to start: ${err.message}`);
        }
      });
      child.once('exit', (code, signal) => {
        if (this.exited) return;
        this.exited = true;
        this.onclose?.(signal ? `server killed by ${signal}` : `server exited with code ${code}`);
      });
    });
  }

  send(message: string): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.exited || stdin.destroyed) return Promise.reject(new Error('server is not running'));
    const cap = this.opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    if (stdin.writableLength > cap) return Promise.reject(new Error('server is not reading its input'));
    stdin.write(message + '\n');
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    // The stdio shutdown sequence of the MCP spec: close stdin, then SIGTERM, then SIGKILL.
    child.stdin?.end();
    const t1 = setTimeout(() => child.kill("SIGTERM"), 1000);
    const t2 = setTimeout(() => child.kill("SIGKILL"), 4000);
    await done;
    clearTimeout(t1);
    clearTimeout(t2);
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
