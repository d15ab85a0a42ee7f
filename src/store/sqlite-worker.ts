/**
 * The worker thread behind `SqliteWorkerStore`: owns the SQLite connection and runs each request
 * it is sent. node:sqlite is synchronous; here its inserts, index updates and fsyncs cost the
 * gateway's event loop nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore } from './sqlite-event-store.ts';

const store = new SqliteEventStore((workerData as { path: string }).path);
const OPS = new Set(['migrate', 'insert', 'insertValues', 'countBy', 'hourly', 'total', 'recentEvents', 'alerts', 'acknowledgeAlert', 'readChain', 'close']);

parentPort!.on('message', async (m: { id: number; op: string; args: unknown[] }) => {
  try {
    if (!OPS.has(m.op)) throw new Error(`unknown operation ${m.op}`);
    const fn = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[m.op];
    const result = await fn.apply(store, m.args);
    parentPort!.postMessage({ id: m.id, result });
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: (err as Error).message });
  }
});
