/**
 * Quarantined originals behind one interface: what a server answered when the gateway withheld it
 * from the agent (a result with a prompt injection), kept for an operator's review
 * (`portcullis quarantine`, the console). Two implementations: files in a directory
 * (file-quarantine-store.ts, one process or a shared volume) and Redis (redis-quarantine-store.ts,
 * `mcp.state.url`: every replica's items in one place).
 *
 * The rules every implementation keeps: ids are 96 random bits (`q-` + 24 hex), so knowing one id
 * tells nothing about another, and an id is checked against that shape before it names anything
 * (a CLI argument is never a path or a key); an item is cut at `maxBytes` (and says so); the store
 * keeps at most `maxTotalBytes`, dropping the oldest items first but never the one just stored
 * (its id is in the notice the agent got), so a server cannot fill the disk or Redis through it.
 */
import { randomBytes } from 'node:crypto';
import type { Finding } from '../detect/finding.ts';

export const QUARANTINE_ID = /^q-[0-9a-f]{24}$/;

export interface QuarantineMeta {
  server?: string;
  tool?: string;
  method: string;
  session?: string;
  principal?: string;
  /** Rule ids and where they matched; never the matched text. */
  findings: Array<Pick<Finding, 'rule' | 'category' | 'severity' | 'path' | 'score'>>;
}

export interface QuarantineItem extends QuarantineMeta {
  id: string;
  time: string;
  bytes: number;
  truncated: boolean;
  released?: { time: string; by: string };
  /** The withheld result, as JSON text (cut at maxBytes when `truncated`). */
  original: string;
}

/** An item as listed: everything but the original. */
export type QuarantineSummary = Omit<QuarantineItem, 'original'>;

export interface QuarantineLimits {
  maxBytes: number;
  maxTotalBytes: number;
}

export interface QuarantineStore {
  /** Keeps an original; resolves with its id. Rejects when it cannot be kept (the caller withholds the result anyway). */
  put(meta: QuarantineMeta, original: string): Promise<string>;
  /** Every item, newest first, without the originals. */
  list(): Promise<QuarantineSummary[]>;
  /** One item with its original; `undefined` for an unknown id or one not of the id's shape. */
  get(id: string): Promise<QuarantineItem | undefined>;
  /** Marks an item reviewed and released (the first release is kept); the original stays available. */
  release(id: string, by: string): Promise<QuarantineItem | undefined>;
}

/** A new item: a fresh id, the time, the original cut at `maxBytes`. */
export function newQuarantineItem(meta: QuarantineMeta, original: string, limits: QuarantineLimits, now = new Date()): QuarantineItem {
  const bytes = Buffer.byteLength(original);
  const truncated = bytes > limits.maxBytes;
  const kept = truncated ? Buffer.from(original).subarray(0, limits.maxBytes).toString('utf8') : original;
  return { id: `q-${randomBytes(12).toString('hex')}`, time: now.toISOString(), ...meta, bytes, truncated, original: kept };
}
