/**
 * The worker side of `portcullis run --workers N` (node:cluster). A worker is a whole gateway:
 * its own upstream servers, audit chain (the chain id is random per process), replica id on the
 * session bus and Redis connections; it shares the client listener with the other workers through
 * the primary, and only worker 0 opens the admin listener (docs/deploy.md, Workers).
 */
import cluster from 'node:cluster';
import client from 'prom-client';
import { isMessage, WORKER_COUNT_ENV, WORKER_INDEX_ENV, type PrimaryMessage, type WorkerMessage } from './messages.ts';

export interface WorkerIdentity {
  /** 0-based slot; a restarted worker takes the slot of the one that died. */
  index: number;
  count: number;
  /** Worker 0 serves the admin listener (/healthz, /readyz, /metrics of all workers, /admin). */
  admin: boolean;
}

/** Set in a process forked by the primary; undefined in a plain `portcullis run`. */
export function workerIdentity(env: NodeJS.ProcessEnv = process.env): WorkerIdentity | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(env[WORKER_INDEX_ENV]);
  const count = Number(env[WORKER_COUNT_ENV]);
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return undefined;
  return { index, count, admin: index === 0 };
}

function send(m: WorkerMessage): void {
  // The channel is gone only when the primary is: node:cluster then ends this worker itself.
  if (process.connected) process.send!(m);
}

export function announceListening(url: string, servers: string[]): void {
  send({ pc: 'listening', url, servers });
}

/**
 * Graceful stop on the primary's word or on a signal (a terminal's Ctrl-C reaches the whole process
 * group, so a worker gets SIGINT and the primary's `shutdown` both): the first starts the drain,
 * the rest are ignored. Forcing is the primary's call (it kills a worker that outlives the drain).
 */
export function onWorkerShutdown(stop: (reason: string) => Promise<void>): void {
  let stopping = false;
  const begin = (reason: string) => {
    if (stopping) return;
    stopping = true;
    void stop(reason).finally(() => process.exit(0));
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => begin(sig));
  process.on('message', (m: unknown) => {
    if (isMessage<Extract<PrimaryMessage, { pc: 'shutdown' }>>(m, 'shutdown')) begin(m.reason);
  });
}

const METRICS_TIMEOUT_MS = 7000;

/**
 * This worker's registry answers the primary's metrics requests (prom-client's AggregatorRegistry
 * over the IPC channel); the returned function, used by the admin worker's /metrics, asks the
 * primary for every worker's metrics, aggregated (counters and histograms summed, gauges as each
 * declares), plus the primary's own (workers up, restarts).
 */
export function shareMetrics(registry: client.Registry): () => Promise<string> {
  new client.AggregatorRegistry();
  client.AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (m: unknown) => {
    if (!isMessage<Extract<PrimaryMessage, { pc: 'metrics-response' }>>(m, 'metrics-response')) return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (typeof m.text === 'string') p.resolve(m.text);
    else p.reject(new Error(`metrics of the workers: ${m.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('metrics of the workers: the primary did not answer in time'));
      }, METRICS_TIMEOUT_MS).unref();
      pending.set(id, { resolve, reject, timer });
      send({ pc: 'metrics-request', id });
    });
}
