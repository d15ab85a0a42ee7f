/**
 * The incident state: emergency lockdown, revocations and disabled servers, in one JSON file in
 * the state directory (`incident.json`, mode 0600).
 *
 * It is the source of truth, so a lockdown survives a restart until it is lifted, and every
 * gateway that shares the state directory (one per stdio client, several `run` processes) acts
 * on it: each polls the file's identity (size, mtime, inode) twice a second and reloads it when
 * it changes. Writes take a lock file, then replace the file atomically (write + rename), so a
 * reader never sees half a file and two operators never lose each other's change.
 *
 * A file that exists but cannot be read or parsed is an error at start: not knowing whether a
 * lockdown is in force must not mean running without it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export const INCIDENT_FILE = 'incident.json';
const MAX_REVOKED_SESSIONS = 1000;

const stateSchema = z.strictObject({
  version: z.literal(1),
  lockdown: z.strictObject({
    enabled: z.boolean(),
    allow: z.array(z.string().min(1)).max(1000),
    since: z.string().optional(),
    by: z.string().optional(),
    reason: z.string().optional(),
  }),
  revocations: z.strictObject({
    /** Every token issued before this time (ISO) is rejected; every session started before it ended. */
    all: z.string().optional(),
    subjects: z.record(z.string(), z.string()),
    sessions: z.record(z.string(), z.string()),
  }),
  disabledServers: z.record(z.string(), z.strictObject({ since: z.string(), by: z.string().optional(), reason: z.string().optional() })),
});

export type IncidentData = z.infer<typeof stateSchema>;

export const EMPTY_STATE: IncidentData = Object.freeze({
  version: 1,
  lockdown: { enabled: false, allow: [] },
  revocations: { subjects: {}, sessions: {} },
  disabledServers: {},
}) as IncidentData;

export class IncidentStateError extends Error {}

const identity = (st: Stats | undefined): string => (st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent');

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export function readIncidentFile(path: string): IncidentData {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY_STATE);
    throw new IncidentStateError(`${path}: cannot read the incident state: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IncidentStateError(`${path}: the incident state is not valid JSON; fix: repair it, or remove it to lift every lockdown, revocation and disabled server`);
  }
  const r = stateSchema.safeParse(parsed);
  if (!r.success) throw new IncidentStateError(`${path}: the incident state is malformed (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}); fix: repair or remove it`);
  return r.data;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Read-modify-write under `<file>.lock` (O_EXCL; a lock older than 10 s is stale and broken). */
export function updateIncidentFile(path: string, mutate: (s: IncidentData) => void): IncidentData {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  for (let i = 0; ; i++) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = statOrUndefined(lock);
      if (st && Date.now() - st.mtimeMs > 10_000) rmSync(lock, { force: true });
      else if (i > 200) throw new IncidentStateError(`${lock}: the incident state is locked by another writer`);
      else sleep(25);
    }
  }
  try {
    const s = readIncidentFile(path);
    mutate(s);
    const pruned = Object.entries(s.revocations.sessions).sort((a, b) => (a[1] < b[1] ? 1 : -1)).slice(0, MAX_REVOKED_SESSIONS);
    s.revocations.sessions = Object.fromEntries(pruned);
    const next = stateSchema.parse(s);
    const tmp = join(dirname(path), `.${INCIDENT_FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, path);
    return next;
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The state as one gateway sees it, reloaded when the file changes. */
export class IncidentState {
  readonly path: string;
  private data: IncidentData;
  private seen: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.path = path;
    this.seen = identity(statOrUndefined(path));
    this.data = readIncidentFile(path);
  }

  get current(): Readonly<IncidentData> {
    return this.data;
  }

  /** Applies a change (and writes it); returns the state before and after. */
  update(mutate: (s: IncidentData) => void): { before: IncidentData; after: IncidentData } {
    const before = this.data;
    this.data = updateIncidentFile(this.path, mutate);
    this.seen = identity(statOrUndefined(this.path));
    return { before, after: this.data };
  }

  /** Reloads if the file changed since it was last read; returns the before/after pair then. */
  poll(): { before: IncidentData; after: IncidentData } | undefined {
    const id = identity(statOrUndefined(this.path));
    if (id === this.seen) return undefined;
    let next: IncidentData;
    try {
      next = readIncidentFile(this.path);
    } catch {
      return undefined; // mid-replacement on a filesystem without atomic rename: next poll
    }
    this.seen = id;
    const before = this.data;
    this.data = next;
    return { before, after: next };
  }

  watch(onChange: (before: IncidentData, after: IncidentData) => void, intervalMs = 500): void {
    this.timer = setInterval(() => {
      const c = this.poll();
      if (c) onChange(c.before, c.after);
    }, intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
