/**
 * The file audit sink: JSON lines appended in batches, with daily rotation.
 *
 * `write` is the hot path: it serializes at once (later mutation of the record cannot change what
 * was logged) and queues the line. Bytes go out in batches, when `batchBytes` are queued or
 * `flushIntervalMs` after the first unwritten line, by one async write at a time, so lines reach
 * the file in the order they were written (except under backpressure, see `catchUpSync`).
 *
 * Daily rotation: when the audit log sees the UTC day change it calls `rotate(day)` between a
 * `rotate-out` and a `rotate-in` checkpoint of the chain; a mark goes into the queue there, and
 * the drain renames the file to `<path>.<YYYY-MM-DD>` (the day of the lines it holds) at exactly
 * that point before writing on. So buffered lines of the old day still land in the old file, none
 * is lost across a rotation, and each file begins and ends with a signed checkpoint: it verifies
 * on its own and as part of the series. A file left from an earlier day is archived at start.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, statSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditSink } from './audit-log.ts';
import type { ChainEntry } from './hash-chain.ts';

export interface FileAuditSinkOptions {
  path: string;
  rotation: 'daily' | 'none';
  clock?: () => Date;
  /** Failures of background writes; without it they reject the next `flush()`. */
  onError?: (err: Error) => void;
  /** Tuning, for tests. Defaults: 64 KiB, 100 ms, 64 MiB. */
  limits?: { batchBytes?: number; flushIntervalMs?: number; maxBufferedBytes?: number };
}

/** Marks where the UTC day changed between two buffered records: rotate before writing on. */
interface Rotate {
  day: string;
}

const MAX_WRITE_CHARS = 1 << 20;
const utcDay = (d: Date): string => d.toISOString().slice(0, 10);
const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already gone; nothing to save.
  }
}

function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void =>
      write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : off + n < buf.length ? step(off + n) : resolve()));
    step(0);
  });
}

function writeAllSync(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
}

/** Never overwrites: an archive of that day may exist after a restart or from a clock step back. */
function archivePath(path: string, day: string): string {
  let p = `${path}.${day}`;
  for (let n = 1; existsSync(p); n++) p = `${path}.${day}.${n}`;
  return p;
}

// Append mode: several gateways (one per stdio client) may share one file, and O_APPEND keeps each
// batch whole. 0o600: audit records name principals and tools.
const openLog = (path: string): number => openSync(path, 'a', 0o600);

export class FileAuditSink implements AuditSink {
  readonly rotatesDaily: boolean;
  private readonly path: string;
  private readonly clock: () => Date;
  private readonly onError: ((err: Error) => void) | undefined;
  private readonly batchBytes: number;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedBytes: number;
  private fd: number;
  private fileDay: string; // the day of the records in the open file
  private queue: Array<string | Rotate> = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private inFlightFd: number | undefined;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unreported: Error | undefined;
  private closing: Promise<void> | undefined;

  /** Opens the file synchronously, so a bad path fails at start-up, not on the first record. */
  constructor(opts: FileAuditSinkOptions) {
    this.path = opts.path;
    this.rotatesDaily = opts.rotation === 'daily';
    this.clock = opts.clock ?? (() => new Date());
    this.onError = opts.onError;
    this.batchBytes = opts.limits?.batchBytes ?? 64 * 1024;
    this.flushIntervalMs = opts.limits?.flushIntervalMs ?? 100;
    this.maxBufferedBytes = opts.limits?.maxBufferedBytes ?? 64 * 1024 * 1024;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    this.fd = openLog(this.path);
    // A file left by an earlier run holds that run's day: archived before this run writes to it.
    const st = fstatSync(this.fd);
    this.fileDay = utcDay(st.size > 0 ? st.mtime : this.clock());
    if (this.rotatesDaily && this.fileDay !== utcDay(this.clock())) this.rotate(utcDay(this.clock()));
  }

  write(entry: ChainEntry): void {
    if (this.closing) throw new Error(`audit sink ${this.path} is closed`);
    const text = `${entry.line}\n`;
    this.queue.push(text);
    this.queuedBytes += Buffer.byteLength(text);
    this.schedule();
  }

  /** Called by the log between its rotate-out and rotate-in checkpoints. */
  rotate(day: string): void {
    if (!this.rotatesDaily || this.closing) return;
    if (!this.queue.length && !this.draining) this.switchFile(day);
    else this.queue.push({ day });
  }

  private schedule(): void {
    if (this.queuedBytes + this.inFlightBytes > this.maxBufferedBytes) this.catchUpSync();
    else if (this.queuedBytes >= this.batchBytes) this.background();
    else this.timer ??= setTimeout(() => this.background(), this.flushIntervalMs).unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 || this.draining) {
      // A failed batch goes back to the queue and the error propagates; the next flush retries it.
      await (this.draining ??= this.drain().finally(() => (this.draining = undefined)));
    }
    const err = this.unreported;
    this.unreported = undefined;
    if (err) throw err;
  }

  close(): Promise<void> {
    // Records written after close() starts are refused (write throws); everything before is drained.
    this.closing ??= this.flush().finally(() => {
      clearTimeout(this.timer);
      closeQuietly(this.fd);
    });
    return this.closing;
  }

  private report(err: unknown): void {
    if (this.onError) this.onError(toError(err));
    else this.unreported ??= toError(err);
  }

  private background(): void {
    this.flush().catch((err: unknown) => this.report(err));
  }

  /** Up to MAX_WRITE_CHARS of consecutive lines from the head, stopping at a rotation mark. */
  private takeBatch(): string {
    let n = 0;
    let chars = 0;
    for (; n < this.queue.length && chars < MAX_WRITE_CHARS; n++) {
      const item = this.queue[n];
      if (typeof item !== 'string') break;
      chars += item.length;
    }
    return (this.queue.splice(0, n) as string[]).join('');
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (typeof head !== 'string') {
        this.queue.shift();
        this.switchFile(head.day);
        continue;
      }
      const text = this.takeBatch();
      const buf = Buffer.from(text);
      const fd = this.fd;
      this.queuedBytes -= buf.length;
      this.inFlightBytes = buf.length;
      this.inFlightFd = fd;
      try {
        await writeAll(fd, buf);
      } catch (err) {
        // Re-queued whole: after a partial write some lines may appear twice, which beats losing them.
        this.queue.unshift(text);
        this.queuedBytes += buf.length;
        throw err;
      } finally {
        this.inFlightBytes = 0;
        this.inFlightFd = undefined;
        if (fd !== this.fd) closeQuietly(fd); // rotated while this write was in flight
      }
    }
  }

  /**
   * Backpressure. The disk is not keeping up and the unwritten backlog passed maxBufferedBytes.
   * Dropping records would lose audit evidence silently, and buffering on grows memory without
   * bound, so the producer pays instead: the backlog is written here with writeSync, which slows
   * the gateway to the disk's pace. The one batch already handed to an async write may land after
   * these bytes (each record carries its own time); nothing is lost. If even the synchronous
   * write fails the disk is gone: the backlog is dropped and reported, so memory stays bounded.
   */
  private catchUpSync(): void {
    let pending = 0;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        if (typeof head !== 'string') {
          this.queue.shift();
          this.switchFile(head.day);
          continue;
        }
        const buf = Buffer.from(this.takeBatch());
        pending = buf.length;
        this.queuedBytes -= buf.length;
        writeAllSync(this.fd, buf);
        pending = 0;
      }
    } catch (err) {
      const lost = this.queuedBytes + pending;
      this.queue = [];
      this.queuedBytes = 0;
      this.report(new Error(`audit log ${this.path}: write failed under backpressure, ${lost} bytes of records dropped`, { cause: err }));
    }
  }

  /** Renames the current file to `<path>.<its day>` and starts a new one. */
  private switchFile(day: string): void {
    if (day === this.fileDay) return;
    const old = this.fd;
    try {
      const held = fstatSync(old);
      let current;
      try {
        current = statSync(this.path);
      } catch {
        current = undefined;
      }
      // Another gateway sharing the file may have rotated it already: rename only the file we hold.
      if (current && current.ino === held.ino && current.dev === held.dev && held.size > 0) {
        renameSync(this.path, archivePath(this.path, this.fileDay));
      }
      this.fd = openLog(this.path);
    } catch (err) {
      // Keep appending to the file we have: records late in the wrong file beat records lost.
      this.report(err);
      return;
    }
    this.fileDay = day;
    if (old !== this.inFlightFd) closeQuietly(old);
  }
}
