/**
 * Quarantined originals: what a server answered when the gateway withheld it from the agent
 * (a result with a prompt injection), kept for an operator's review (`portcullis quarantine`).
 *
 * An original may hold secrets and the attacker's text, so: one file per item, mode 0600 in a
 * 0700 directory; ids are 96 random bits (`q-` + 24 hex), so knowing one id tells nothing about
 * another; ids are checked against that shape before any path is built from them (a CLI argument
 * is never a path); an item is cut at `maxBytes` (and says so) and the store keeps at most
 * `maxTotalBytes`, dropping the oldest items first, so a server cannot fill the disk through it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

export interface QuarantineLimits {
  maxBytes: number;
  maxTotalBytes: number;
}

export class QuarantineStore {
  readonly dir: string;
  private readonly limits: QuarantineLimits;
  constructor(dir: string, limits: QuarantineLimits) {
    this.dir = dir;
    this.limits = limits;
  }

  put(meta: QuarantineMeta, original: string): string {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const id = `q-${randomBytes(12).toString('hex')}`;
    const bytes = Buffer.byteLength(original);
    const truncated = bytes > this.limits.maxBytes;
    const kept = truncated ? Buffer.from(original).subarray(0, this.limits.maxBytes).toString('utf8') : original;
    const item: QuarantineItem = { id, time: new Date().toISOString(), ...meta, bytes, truncated, original: kept };
    writeFileSync(this.file(id), JSON.stringify(item), { mode: 0o600, flag: 'wx' });
    this.trim();
    return id;
  }

  /** Every item, newest first, without the originals. */
  list(): Array<Omit<QuarantineItem, 'original'>> {
    return this.ids()
      .map((id) => this.read(id))
      .filter((x): x is QuarantineItem => x !== undefined)
      .map(({ original: _o, ...rest }) => rest)
      .sort((a, b) => b.time.localeCompare(a.time));
  }

  get(id: string): QuarantineItem | undefined {
    return QUARANTINE_ID.test(id) ? this.read(id) : undefined;
  }

  /** Marks an item reviewed and released; the original stays available to `show`. */
  release(id: string, by: string): QuarantineItem | undefined {
    const item = this.get(id);
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

  /** Oldest items go first once the store holds more than maxTotalBytes. */
  private trim(): void {
    const files = this.ids().map((id) => ({ id, st: statSync(this.file(id), { throwIfNoEntry: false }) })).filter((f) => f.st);
    let total = files.reduce((n, f) => n + f.st!.size, 0);
    if (total <= this.limits.maxTotalBytes) return;
    files.sort((a, b) => a.st!.mtimeMs - b.st!.mtimeMs);
    for (const f of files) {
      if (total <= this.limits.maxTotalBytes) break;
      unlinkSync(this.file(f.id));
      total -= f.st!.size;
    }
  }
}

const stores = new Map<string, QuarantineStore>();

/** One store per directory per process. */
export function quarantineStore(dir: string, limits: QuarantineLimits): QuarantineStore {
  let s = stores.get(dir);
  if (!s) stores.set(dir, (s = new QuarantineStore(dir, limits)));
  return s;
}
