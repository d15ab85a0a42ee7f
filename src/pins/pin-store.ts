/**
 * Where the pins live, behind one interface for the gateways (pin-guard.ts) and every operator
 * tool (pin-operations.ts):
 *
 * - the pin state (tofu pins and what gateways observed that is not trusted): the file
 *   `mcp.state.dir`/pins.json, or, with `mcp.state.url`, one document in Redis shared by every
 *   replica (`<prefix>pins`, changed by compare-and-set, state/redis-document.ts);
 * - the trusted pins: the pin state itself in tofu mode, the lockfile in lockfile mode. The
 *   lockfile stays a file in every deployment: it is the reviewed, committed artefact each replica
 *   is deployed with.
 *
 * Why a compare-and-set document and not a key per pin: two replicas that see a server for the
 * first time must agree on ONE trusted definition. A first-use pin is written only if the name
 * has no pin yet, computed on the document as it is in Redis at that moment; the replica that
 * loses the race re-reads the winner's pin and judges its own sighting against it (drifted if it
 * differs), before any client sees its list.
 */
import type { Config } from '../config/schema.ts';
import { isAbsolute, join, resolve } from 'node:path';
import type { RedisConnection } from '../state/redis-connection.ts';
import { RedisDocument } from '../state/redis-document.ts';
import { fileIdentity } from '../util/locked-json-file.ts';
import { emptyPins, mutatePins, parsePins, PINS_FILE, readPinFile, updatePinFile, type PinFileData } from './pin-file.ts';

export interface PinDocStore {
  /** The file, or the Redis key, for messages. */
  readonly where: string;
  /** Why the stored pins do not parse, when that is why they cannot be read. */
  readonly corrupt?: string;
  /** The pins as stored now; throws when they cannot be read (never "no pins"). */
  read(): Promise<PinFileData>;
  /** Read-modify-write, atomically against every other writer; `mutate` returns false to skip the write. */
  update(mutate: (d: PinFileData) => boolean | void): Promise<PinFileData>;
  /** Calls `onChange` when the stored pins may have changed (another process, another replica). */
  watch(onChange: () => void): void;
  stop(): void;
}

export interface PinStores {
  mode: 'tofu' | 'lockfile';
  /** Tofu pins and observed definitions. */
  state: PinDocStore;
  /** Where trust is read and an operator's approval written: `state` in tofu mode, the lockfile otherwise. */
  trust: PinDocStore;
  close(): void;
}

/** A pin file shared by the processes of one host (gateways poll it twice a second). */
export class FilePinDoc implements PinDocStore {
  readonly where: string;
  readonly path: string;
  private timer: NodeJS.Timeout | undefined;
  constructor(path: string) {
    this.path = path;
    this.where = path;
  }
  async read(): Promise<PinFileData> {
    return readPinFile(this.path);
  }
  async update(mutate: (d: PinFileData) => boolean | void): Promise<PinFileData> {
    return updatePinFile(this.path, mutate);
  }
  watch(onChange: () => void, intervalMs = 500): void {
    let seen = fileIdentity(this.path);
    this.timer = setInterval(() => {
      const now = fileIdentity(this.path);
      if (now === seen) return;
      seen = now;
      onChange();
    }, intervalMs).unref();
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** The pin state in Redis, shared by every replica. */
export class RedisPinDoc implements PinDocStore {
  private readonly doc: RedisDocument<PinFileData>;
  constructor(conn: RedisConnection, opts: { resyncMs?: number } = {}) {
    this.doc = new RedisDocument(conn, { name: 'pins', what: 'pins', empty: emptyPins, parse: parsePins, resyncMs: opts.resyncMs });
  }
  get where(): string {
    return this.doc.where;
  }
  get corrupt(): string | undefined {
    return this.doc.corrupt;
  }
  async read(): Promise<PinFileData> {
    await this.doc.load();
    return this.doc.current;
  }
  async update(mutate: (d: PinFileData) => boolean | void): Promise<PinFileData> {
    return (await this.doc.change((before) => mutatePins(before, mutate, this.doc.where))).after;
  }
  watch(onChange: () => void): void {
    this.doc.watch(() => onChange());
  }
  stop(): void {
    this.doc.stop();
  }
}

/** Where the pin files are (the state file, unless `mcp.state.url` moves it to Redis; the lockfile). */
export function pinPaths(config: Config, stateDir?: string): { stateFile: string; lockfile: string; mode: 'tofu' | 'lockfile' } {
  const p = config.mcp.security.pinning;
  const dir = stateDir ?? config.mcp.state.dir;
  return { stateFile: join(dir, PINS_FILE), lockfile: isAbsolute(p.lockfile) ? p.lockfile : resolve(p.lockfile), mode: p.mode };
}

/** The pin stores a configuration names: the state in Redis when `mcp.state.url` is set (`conn`), else in `mcp.state.dir`. */
export function pinStores(config: Config, opts: { conn?: RedisConnection; stateDir?: string } = {}): PinStores {
  const paths = pinPaths(config, opts.stateDir);
  return storesOf(paths.mode, opts.conn ? new RedisPinDoc(opts.conn) : new FilePinDoc(paths.stateFile), paths.lockfile);
}

/** The stores over `state`: trust is `state` itself in tofu mode, the lockfile otherwise. */
export function storesOf(mode: 'tofu' | 'lockfile', state: PinDocStore, lockfile: string): PinStores {
  const trust = mode === 'lockfile' ? new FilePinDoc(lockfile) : state;
  return {
    mode,
    state,
    trust,
    close() {
      state.stop();
      trust.stop();
    },
  };
}
