/**
 * The primary of `portcullis run --workers N`: it serves nothing itself. It forks N workers
 * (node:cluster, each a whole gateway, worker.ts), shares the client listener among them (the
 * primary accepts and hands connections round robin), prints the banner once every worker
 * listens, restarts a worker that dies (restart-policy.ts), gathers /metrics for the admin
 * worker, and on SIGTERM/SIGINT tells every worker to drain, then exits with them.
 *
 * Exit codes: 0 after a clean shutdown; 1 if a worker fails to start (its own message says why;
 * nothing is left running), if workers keep dying (more than the policy allows), or if a worker
 * had to be killed at the end of the drain; 130 on a second signal (every worker killed at once).
 */
import cluster, { type Worker } from 'node:cluster';
import client from 'prom-client';
import { isMessage, WORKER_COUNT_ENV, WORKER_INDEX_ENV, type PrimaryMessage, type WorkerMessage } from './messages.ts';
import { RestartPolicy } from './restart-policy.ts';

export interface PrimaryOptions {
  count: number;
  /** The line printed once every worker listens. */
  banner: (url: string, servers: string[]) => string;
  /** How long a worker may drain after `shutdown` before it is killed (shutdownSeconds plus a margin). */
  drainMs: number;
  log: (line: string) => void;
  policy?: RestartPolicy;
  /** The worker's script and arguments; default: this process's own (`portcullis run ...` again). For tests. */
  exec?: { file: string; args: string[] };
}

export function runPrimary(o: PrimaryOptions): Promise<number> {
  const policy = o.policy ?? new RestartPolicy();
  const slots = new Map<number, Worker>();
  const listening = new Set<number>();
  const timers = new Set<NodeJS.Timeout>();
  let started = false;
  let stopping = false;
  let failed = false;
  let restarts = 0;
  const own = primaryMetrics(() => listening.size, () => restarts, o.count);
  const aggregator = new client.AggregatorRegistry();

  if (o.exec) cluster.setupPrimary({ exec: o.exec.file, args: o.exec.args });
  const handlers: [NodeJS.Signals, () => void][] = [];

  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      for (const t of timers) clearTimeout(t);
      for (const [sig, h] of handlers) process.off(sig, h);
      resolve(code);
    };

    const tell = (w: Worker, m: PrimaryMessage) => {
      if (w.isConnected()) w.send(m, undefined, () => {}); // a worker that just died misses it: its exit is handled
    };

    const stopAll = (reason: string, code: number) => {
      if (stopping) return;
      stopping = true;
      failed ||= code !== 0;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (!slots.size) return finish(failed ? 1 : 0);
      o.log(`${reason}: draining ${slots.size} worker(s)`);
      // A worker still starting has nothing to drain (and may not listen for the word yet).
      for (const [i, w] of slots) {
        if (listening.has(i)) tell(w, { pc: 'shutdown', reason });
        else w.process.kill('SIGTERM');
      }
      const force = setTimeout(() => {
        for (const w of slots.values()) {
          o.log(`worker pid ${w.process.pid} still running after ${o.drainMs} ms: killed`);
          failed = true;
          w.process.kill('SIGKILL');
        }
      }, o.drainMs);
      force.unref();
    };

    const fork = (index: number) => {
      const w = cluster.fork({ [WORKER_INDEX_ENV]: String(index), [WORKER_COUNT_ENV]: String(o.count) });
      slots.set(index, w);
      w.on('message', (m: unknown) => onMessage(index, w, m));
      w.on('exit', (code, signal) => onExit(index, w, code, signal));
    };

    const onMessage = (index: number, w: Worker, m: unknown) => {
      if (isMessage<Extract<WorkerMessage, { pc: 'listening' }>>(m, 'listening')) {
        listening.add(index);
        if (started) return o.log(`worker ${index + 1}/${o.count} (pid ${w.process.pid}) is serving again`);
        if (listening.size === o.count) {
          started = true;
          process.stdout.write(o.banner(m.url, m.servers));
        }
      } else if (isMessage<Extract<WorkerMessage, { pc: 'metrics-request' }>>(m, 'metrics-request')) {
        Promise.all([aggregator.clusterMetrics(), own.metrics()]).then(
          ([workers, primary]) => tell(w, { pc: 'metrics-response', id: m.id, text: workers + primary }),
          (err: Error) => tell(w, { pc: 'metrics-response', id: m.id, error: err.message }),
        );
      }
    };

    const onExit = (index: number, w: Worker, code: number | null, signal: string | null) => {
      if (slots.get(index) === w) slots.delete(index);
      listening.delete(index);
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (stopping) {
        if (code !== 0) failed = true;
        if (!slots.size) finish(failed ? 1 : 0);
        return;
      }
      if (!started) {
        // An operator's mistake (a port in use, an unreadable file) fails every worker the same way.
        o.log(`worker ${index + 1}/${o.count} (pid ${w.process.pid}) exited with ${how} before it was serving: stopping`);
        return stopAll('start-up failed', 1);
      }
      const d = policy.crashed(Date.now());
      if (!d.restart) {
        const { maxCrashes, windowMs } = policy.limits;
        o.log(`worker ${index + 1}/${o.count} (pid ${w.process.pid}) exited with ${how}: ${d.recent} worker exits within ${windowMs / 1000} s (more than ${maxCrashes}); restarting is not helping, stopping`);
        return stopAll('workers keep crashing', 1);
      }
      o.log(`worker ${index + 1}/${o.count} (pid ${w.process.pid}) exited with ${how}: restarting it in ${d.delayMs} ms (${d.recent} exit(s) within ${policy.limits.windowMs / 1000} s)`);
      const t = setTimeout(() => {
        timers.delete(t);
        if (stopping) return;
        restarts++;
        fork(index);
      }, d.delayMs);
      timers.add(t);
    };

    let signals = 0;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const h = () => {
        if (++signals === 1) return stopAll(sig, 0);
        o.log(`${sig} again: killing ${slots.size} worker(s)`);
        for (const w of slots.values()) w.process.kill('SIGKILL');
        finish(130);
      };
      handlers.push([sig, h]);
      process.on(sig, h);
    }

    for (let i = 0; i < o.count; i++) fork(i);
  });
}

/** The primary's own metrics, appended to the workers' aggregate on /metrics. */
function primaryMetrics(up: () => number, restarts: () => number, count: number): client.Registry {
  const registry = new client.Registry();
  new client.Gauge({ name: 'portcullis_workers', help: 'Workers configured (mcp.listen.workers, --workers).', registers: [registry] }).set(count);
  new client.Gauge({
    name: 'portcullis_workers_serving',
    help: 'Workers whose client listener is up.',
    registers: [registry],
    collect() {
      this.set(up());
    },
  });
  new client.Counter({
    name: 'portcullis_worker_restarts_total',
    help: 'Workers restarted by the primary after they died.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(restarts());
    },
  });
  return registry;
}
