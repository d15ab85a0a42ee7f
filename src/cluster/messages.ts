/**
 * What the primary and its workers say to each other over the cluster's IPC channel. Every
 * message carries `pc` (prom-client's own aggregation messages share the channel and carry
 * `type`), and a message of another shape is ignored on both sides.
 */
export type WorkerMessage =
  /** The worker's client listener is up (its URL: the same on every worker). */
  | { pc: 'listening'; url: string; servers: string[] }
  /** The admin worker was asked for /metrics: the primary gathers every worker's. */
  | { pc: 'metrics-request'; id: number };

export type PrimaryMessage =
  /** Drain and exit (SIGTERM/SIGINT reached the primary). */
  | { pc: 'shutdown'; reason: string }
  | { pc: 'metrics-response'; id: number; text?: string; error?: string };

/** Environment of a forked worker: which slot it fills (1-based in logs, 0 is the admin worker). */
export const WORKER_INDEX_ENV = 'PORTCULLIS_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'PORTCULLIS_WORKER_COUNT';

export function isMessage<T extends { pc: string }>(m: unknown, pc: T['pc']): m is T {
  return typeof m === 'object' && m !== null && (m as { pc?: unknown }).pc === pc;
}
