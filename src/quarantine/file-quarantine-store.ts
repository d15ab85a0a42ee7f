/**
 * The quarantine store in a directory (quarantine-store.ts says what every store keeps): one file
 * per item, mode 0600 in a 0700 directory, created exclusively, so processes sharing the directory
 * never overwrite each other's items; the total is trimmed by each writer after its own write.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newQuarantineItem, QUARANTINE_ID, type QuarantineItem, type QuarantineLimits, type QuarantineMeta, type QuarantineStore, type QuarantineSummary } from './quarantine-store.ts';

export class FileQuarantineStore implements QuarantineStore {
  readonly dir: string;
  private readonly limits: QuarantineLimits;
  constructor(dir: string, limits: QuarantineLimits) {
    this.dir = dir;
    this.limits = limits;
  }

  async put(meta: QuarantineMeta, original: string): Promise<string> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const item = newQuarantineItem(meta, original, this.limits);
    writeFileSync(this.file(item.id), JSON.stringify(item), { mode: 0o600, flag: 'wx' });
    this.trim(item.id);
    return item.id;
  }

  async list(): Promise<QuarantineSummary[]> {
    return this.ids()
      .map((id) => this.read(id))
      .filter((x): x is QuarantineItem => x !== undefined)
      .map(({ original: _o, ...rest }) => rest)
      .sort((a, b) => b.time.localeCompare(a.time));
  }

  async get(id: string): Promise<QuarantineItem | undefined> {
    return QUARANTINE_ID.test(id) ? this.read(id) : undefined;
  }

  async release(id: string, by: string): Promise<QuarantineItem | undefined> {
    const item = await this.get(id);
    if (!item) return undefined;
    item.released ??= { time: new Date().toISOString(), by };
    writeFileSync(this.file(id), JSON.stringify(item), { mode: 0o600 });
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

  /** Oldest items go first once the store holds more than maxTotalBytes; never `keep` (just written). */
  private trim(keep: string): void {
    const files = this.ids().map((id) => ({ id, st: statSync(this.file(id), { throwIfNoEntry: false }) })).filter((f) => f.st);
    let total = files.reduce((n, f) => n + f.st!.size, 0);
    if (total <= this.limits.maxTotalBytes) return;
    files.sort((a, b) => a.st!.mtimeMs - b.st!.mtimeMs);
    for (const f of files) {
      if (total <= this.limits.maxTotalBytes) break;
      if (f.id === keep) continue;
      try {
        unlinkSync(this.file(f.id));
      } catch {
        // another process sharing the directory trimmed it first
      }
      total -= f.st!.size;
    }
  }
}
