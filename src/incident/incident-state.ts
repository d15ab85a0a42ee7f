/**
 * The incident state: emergency lockdown, revocations (incident/revocations.ts) and disabled servers, in one JSON file in
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
import { fileIdentity, readTextIfExists, StateFileError, withFileLock, writeFileAtomic } from '../util/locked-json-file.ts';
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
    /** Every credential that existed at this time (ISO) is refused; every session then open ended. */
    all: z.string().optional(),
    subjects: z.record(z.string(), z.string()),
    sessions: z.record(z.string(), z.string()),
    // Added later: a file written before has neither, and means none (incident/revocations.ts).
    /** API keys by `id`. */
    apiKeys: z.record(z.string(), z.string()).default({}),
    /** Client certificates by SHA-256 fingerprint (64 lowercase hex digits). */
    certificates: z.record(z.string(), z.string()).default({}),
    /** Exempt from every revocation made before the recorded time (`revoke --reinstate`). */
    reinstated: z
      .strictObject({ subjects: z.record(z.string(), z.string()), apiKeys: z.record(z.string(), z.string()), certificates: z.record(z.string(), z.string()) })
      .default({ subjects: {}, apiKeys: {}, certificates: {} }),
  }),
  disabledServers: z.record(z.string(), z.strictObject({ since: z.string(), by: z.string().optional(), reason: z.string().optional() })),
});

export type IncidentData = z.infer<typeof stateSchema>;

export const EMPTY_STATE: IncidentData = Object.freeze({
  version: 1,
  lockdown: { enabled: false, allow: [] },
  revocations: { subjects: {}, sessions: {}, apiKeys: {}, certificates: {}, reinstated: { subjects: {}, apiKeys: {}, certificates: {} } },
  disabledServers: {},
}) as IncidentData;

export class IncidentStateError extends Error {}

const identity = (path: string): string => fileIdentity(path);

export function readIncidentFile(path: string): IncidentData {
  let text: string | undefined;
  try {
    text = readTextIfExists(path, 'incident state');
  } catch (err) {
    throw new IncidentStateError((err as Error).message);
  }
  return text === undefined ? structuredClone(EMPTY_STATE) : parseIncident(text, path);
}

/** The incident state from its JSON text (`where` names the file or Redis key in the error). */
export function parseIncident(text: string, where: string): IncidentData {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IncidentStateError(`${where}: the incident state is not valid JSON; fix: repair it, or remove it to lift every lockdown, revocation and disabled server`);
  }
  const r = stateSchema.safeParse(parsed);
  if (!r.success) throw new IncidentStateError(`${where}: the incident state is malformed (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}); fix: repair or remove it`);
  return r.data;
}

/** Applies `mutate` to a copy of `s` and returns the valid, pruned result. */
export function mutateIncident(s: IncidentData, mutate: (s: IncidentData) => void): IncidentData {
  const copy = structuredClone(s);
  mutate(copy);
  const pruned = Object.entries(copy.revocations.sessions).sort((a, b) => (a[1] < b[1] ? 1 : -1)).slice(0, MAX_REVOKED_SESSIONS);
  copy.revocations.sessions = Object.fromEntries(pruned);
  return stateSchema.parse(copy);
}

/**
 * Where a gateway's incident state lives: this file (IncidentState), or Redis shared by every
 * replica (incident/redis-incident-state.ts). `current` is what the checks read on every call; a
 * shared store that cannot vouch for it (Redis away) throws `STATE_UNAVAILABLE` there rather than
 * answer from a copy that may miss a lockdown.
 */
export interface IncidentStore {
  readonly where: string;
  readonly current: Readonly<IncidentData>;
  /** Applies a change (and writes it); returns the state before and after. */
  update(mutate: (s: IncidentData) => void): { before: IncidentData; after: IncidentData } | Promise<{ before: IncidentData; after: IncidentData }>;
  /** Calls `onChange` for every change made elsewhere (another process, another replica). */
  watch(onChange: (before: IncidentData, after: IncidentData) => void): void;
  stop(): void;
}

/** Read-modify-write under `<file>.lock` (util/locked-json-file.ts). */
export function updateIncidentFile(path: string, mutate: (s: IncidentData) => void): IncidentData {
  try {
    return withFileLock(path, 'incident state', () => {
      const next = mutateIncident(readIncidentFile(path), mutate);
      writeFileAtomic(path, JSON.stringify(next, null, 2) + '\n');
      return next;
    });
  } catch (err) {
    if (err instanceof StateFileError) throw new IncidentStateError(err.message);
    throw err;
  }
}

/** The state as one gateway sees it, reloaded when the file changes. */
export class IncidentState implements IncidentStore {
  readonly path: string;
  private data: IncidentData;
  private seen: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(path: string) {
    this.path = path;
    this.seen = identity(path);
    this.data = readIncidentFile(path);
  }

  get where(): string {
    return this.path;
  }

  get current(): Readonly<IncidentData> {
    return this.data;
  }

  /** Applies a change (and writes it); returns the state before and after. */
  update(mutate: (s: IncidentData) => void): { before: IncidentData; after: IncidentData } {
    const before = this.data;
    this.data = updateIncidentFile(this.path, mutate);
    this.seen = identity(this.path);
    return { before, after: this.data };
  }

  /** Reloads if the file changed since it was last read; returns the before/after pair then. */
  poll(): { before: IncidentData; after: IncidentData } | undefined {
    const id = identity(this.path);
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
