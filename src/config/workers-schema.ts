/**
 * `mcp.listen.workers`: how many processes serve the listener (`portcullis run --workers N`
 * overrides it). Several workers keep sessions, rate limits, quotas, taint and the incident state
 * in Redis (`mcp.state.url`); without it each worker would hold its own, so a caller limited on one
 * worker would be fresh on the next and a lockdown made through one would miss the others. That
 * combination is refused at start (workersProblems), never run half-shared.
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** More would only multiply upstream processes and Redis connections on any machine we know of. */
export const MAX_WORKERS = 256;

export type WorkersSetting = number | 'auto';

export const workersSchema = z
  .union([z.number().int().min(1).max(MAX_WORKERS), z.literal('auto')])
  .default(1)
  .describe(
    "Processes serving this listener (node:cluster: one port, connections spread over the workers). `auto`: the machine's available parallelism. Above 1 needs `mcp.state.url` (sessions and security state shared in Redis); each worker runs its own upstream servers and its own audit hash chain, the admin listener runs in worker 1 (docs/deploy.md, Workers). `portcullis run --workers N` overrides it.",
  );

/** `--workers N|auto`; undefined when the text is neither. */
export function parseWorkersFlag(text: string): WorkersSetting | undefined {
  if (text === 'auto') return 'auto';
  if (!/^\d{1,4}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= MAX_WORKERS ? n : undefined;
}

export function resolveWorkers(setting: WorkersSetting, cores = availableParallelism()): number {
  return setting === 'auto' ? Math.min(Math.max(1, cores), MAX_WORKERS) : setting;
}

export interface WorkersProblem {
  path: string;
  message: string;
  fix: string;
}

/**
 * Several workers without shared state would each enforce their own limits: refused, never run.
 * `auto` is refused too, whatever this machine's core count: the same file would fail on the next.
 */
export function workersProblems(setting: WorkersSetting, stateUrl: string | undefined, source = 'mcp.listen.workers'): WorkersProblem[] {
  if (setting === 1 || stateUrl) return [];
  const asked = setting === 'auto' ? "'auto' (one worker per core)" : `${setting} workers`;
  return [
    {
      path: 'mcp.listen.workers',
      message: `${source} asks for ${asked} but mcp.state.url is not set: each worker would keep its own sessions, rate limits, quotas, flow taint and lockdown state, so a limit or a lockdown would hold on one worker only`,
      fix: `set mcp.state.url to a Redis (redis://HOST:PORT/DB, docs/shared-state.md), or run one worker (${source === 'mcp.listen.workers' ? 'remove mcp.listen.workers' : '--workers 1'})`,
    },
  ];
}
