/**
 * The in-process state store: a Map with per-entry TTL and a hard cap on entries.
 *
 * Keys are built from client-controlled values (session ids, tool names), so a client minting new
 * keys must not grow memory without bound: at the cap, expired entries go first, then the least
 * recently updated. Map iteration order is insertion order and every update re-inserts its key,
 * so the first entry is always the least recently updated one.
 *
 * Expiry is swept lazily (each update looks at a few of the oldest entries) plus by an unref'd
 * interval that never keeps the process alive. A full sweep at the cap runs at most once per
 * `FULL_SWEEP_GAP_MS`: otherwise a flood of fresh keys against a full map of live entries would
 * cost a 100,000-entry scan per call.
 */
import { bucketTtlMs, takeToken, type TokenBucketConfig } from '../policy/token-bucket.ts';
import type { BucketState, BucketTake, StateStore, TakeResult } from './store.ts';

export interface MemoryStoreOptions {
  /** Hard cap on entries. @default 100_000 */
  maxEntries?: number;
  /** Period of the background sweep; 0 disables it. @default 60_000 */
  sweepIntervalMs?: number;
  /** Milliseconds; injectable for tests. @default Date.now */
  clock?: () => number;
}

interface Entry {
  state: BucketState;
  expiresMs: number;
}

const DEFAULT_MAX_ENTRIES = 100_000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
const LAZY_SWEEP_STEPS = 4;
const FULL_SWEEP_GAP_MS = 1_000;

export class MemoryStore implements StateStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastFullSweepMs = Number.NEGATIVE_INFINITY;

  constructor(opts: MemoryStoreOptions = {}) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.clock = opts.clock ?? Date.now;
    const every = opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (every > 0) {
      this.timer = setInterval(() => this.sweep(this.clock()), every);
      this.timer.unref();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  takeToken(key: string, cfg: TokenBucketConfig, nowMs: number): TakeResult {
    // Synchronous, so nothing interleaves between the read and the write.
    let out: TakeResult = { allowed: false, retryAfterMs: 0 };
    this.updateBucket(
      key,
      (prev) => {
        const o = takeToken(prev, cfg, nowMs);
        out = { allowed: o.allowed, retryAfterMs: o.retryAfterMs };
        return o.state;
      },
      bucketTtlMs(cfg),
    );
    return out;
  }

  takeTokens(takes: readonly BucketTake[], nowMs: number): TakeResult[] {
    const out: TakeResult[] = [];
    for (const t of takes) {
      const r = this.takeToken(t.key, t.cfg, nowMs);
      out.push(r);
      if (!r.allowed) break;
    }
    return out;
  }

  /** The generic read-modify-write under the cap and TTL (what `takeToken` runs on). */
  updateBucket(key: string, fn: (prev: BucketState | undefined) => BucketState, ttlMs: number): BucketState {
    const now = this.clock();
    const found = this.entries.get(key);
    const next = fn(found !== undefined && found.expiresMs > now ? found.state : undefined);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.makeRoom(now);
    this.entries.set(key, { state: next, expiresMs: now + ttlMs });
    this.sweepOldest(now);
    return next;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.entries.clear();
  }

  /** Drops every expired entry. */
  sweep(now: number): void {
    this.lastFullSweepMs = now;
    for (const [key, entry] of this.entries) if (entry.expiresMs <= now) this.entries.delete(key);
  }

  private sweepOldest(now: number): void {
    let steps = 0;
    for (const [key, entry] of this.entries) {
      if (++steps > LAZY_SWEEP_STEPS) break;
      if (entry.expiresMs <= now) this.entries.delete(key);
    }
  }

  private makeRoom(now: number): void {
    if (now - this.lastFullSweepMs >= FULL_SWEEP_GAP_MS) this.sweep(now);
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
