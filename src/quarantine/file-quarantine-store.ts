/**
 * The quarantine store in a directory (quarantine-store.ts says what every store keeps): one file
 * per item, mode 0600 in a 0700 directory, created exclusively, so processes sharing the directory
 * never overwrite each other's items; the total is trimmed by each writer after its own write.
 * Age is the file's modification time, set at `put` to a strictly increasing sub-millisecond
 * stamp (the kernel's own timestamps are coarser than a burst of puts) and kept by `release`.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newQuarantineItem, QUARANTINE_ID, type QuarantineItem, type QuarantineLimits, type QuarantineMeta, type QuarantineStore, type QuarantineSummary } from './quarantine-store.ts';

export class FileQuarantineStore implements QuarantineStore {
  readonly dir: string;
  private readonly limits: QuarantineLimits;
  private lastStamp = 0;
  constructor(dir: string, limits: QuarantineLimits) {
    this.dir = dir;
    this.limits = limits;
  }

  async put(meta: QuarantineMeta, original: string): Promise<string> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const item = newQuarantineItem(meta, original, this.limits);
    writeFileSync(this.file(item.id), JSON.stringify(item), { mode: 0o600, flag: 'wx' });
    this.lastStamp = Math.max(this.lastStamp + 0.01, performance.timeOrigin + performance.now());
    utimesSync(this.file(item.id), this.lastStamp / 1000, this.lastStamp / 1000);
    this.trim(item.id);
    return item.id;
  }

  async list(): Promise<QuarantineSummary[]> {
    return this.byAge()
      .reverse()
      .map((f) => this.read(f.id))
      .filter((x): x is QuarantineItem => x !== undefined)
      .map(({ original: _o, ...rest }) => rest);
  }

  async get(id: string): Promise<QuarantineItem | undefined> {
    return QUARANTINE_ID.test(id) ? this.read(id) : undefined;
  }

  async release(id: string, by: string): Promise<QuarantineItem | undefined> {
    const item = await this.get(id);
    if (!item) return undefined;
    if (item.released) return item;
    item.released = { time: new Date().toISOString(), by };
    const { atime, mtime } = statSync(this.file(id));
    writeFileSync(this.file(id), JSON.stringify(item), { mode: 0o600 });
    utimesSync(this.file(id), atime, mtime); // a release does not make an item younger
    return item;
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private ids(): string[] {
    try {
      return readdirSync(this.dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).filter((id) => QUARANTINE_ID.test(id));
    } catch {
      return [];
    }
  }

  private read(id: string): QuarantineItem | undefined {
    try {
      return JSON.parse(readFileSync(this.file(id), 'utf8')) as QuarantineItem;
    } catch {
      return undefined;
    }
  }

  /** Every item with its size, oldest first. */
  private byAge(): Array<{ id: string; size: number; age: number }> {
    return this.ids()
      .flatMap((id) => {
        const st = statSync(this.file(id), { throwIfNoEntry: false });
        return st ? [{ id, size: st.size, age: st.mtimeMs }] : [];
      })
      .sort((a, b) => a.age - b.age);
  }

  /** Oldest items go first once the store holds more than maxTotalBytes; never `keep` (just written). */
  private trim(keep: string): void {
    const files = this.byAge();
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      if (total <= this.limits.maxTotalBytes) break;
      if (f.id === keep) continue;
      try {
        unlinkSync(this.file(f.id));
      } catch {
        // another process sharing the directory trimmed it first
      }
      total -= f.size;
    }
  }
}
