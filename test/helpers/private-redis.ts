/**
 * A Redis server of the test's own (Debian's `redis-server`, on a free port, nothing saved to
 * disk), for tests that stop and restart Redis mid-traffic: the machine's Redis on 6379 is shared
 * with other test runs and is never stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PrivateRedis {
  port: number;
  url: string;
  /** SIGKILL: Redis is gone at once (connections reset), like a crashed node. */
  kill(): Promise<void>;
  /** Start again on the same port (empty: nothing was saved). */
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    const t = setTimeout(() => (c.destroy(), resolve(false)), 500);
    c.once('connect', () => c.write('PING\r\n'));
    c.once('data', (d) => (clearTimeout(t), c.destroy(), resolve(d.toString().startsWith('+PONG'))));
    c.once('error', () => (clearTimeout(t), resolve(false)));
  });
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await answers(port)) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    async kill() {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    },
    start,
  };
}
