/**
 * The approval store in the state directory (`approvals.json`, mode 0600): shared by every
 * gateway and CLI that use the same `mcp.state.dir`, like the incident state. Writes take the
 * lock file and replace the file atomically (util/locked-json-file.ts), so two operators never
 * lose each other's decision and the first decision wins. A process with calls waiting polls
 * the file's identity every 250 ms; a decision made in-process wakes its waiter at once.
 *
 * Bounded: at most MAX_PENDING approvals wait at a time (more are refused, never queued), and
 * decided ones are kept only long enough for their waiter to see them (DECIDED_KEEP_MS, at most
 * MAX_DECIDED).
 */
import { z } from 'zod';
import { fileIdentity, readTextIfExists, StateFileError, withFileLock, writeFileAtomic } from '../util/locked-json-file.ts';
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { ApprovalStoreError, type ApprovalDecision, type ApprovalStore, type DecideOutcome, type PendingApproval } from './approval-store.ts';

export const APPROVALS_FILE = 'approvals.json';
export const MAX_PENDING = 1000;
const MAX_DECIDED = 1000;
const DECIDED_KEEP_MS = 10 * 60_000;
const POLL_MS = 250;

const pendingSchema = z.strictObject({
  id: z.string(),
  server: z.string(),
  tool: z.string(),
  principal: z.string(),
  session: z.string(),
  arguments: z.unknown().optional(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  askedVia: z.enum(['elicitation', 'operator']),
});
const decisionSchema = z.strictObject({
  approved: z.boolean(),
  by: z.string(),
  via: z.enum(['elicitation', 'admin-api', 'console', 'state-file', 'timeout', 'cancelled']),
  at: z.string(),
  reason: z.string().optional(),
});
const fileSchema = z.strictObject({
  version: z.literal(1),
  pending: z.record(z.string(), pendingSchema),
  decided: z.record(z.string(), z.strictObject({ request: pendingSchema, decision: decisionSchema })),
});
type ApprovalsData = z.infer<typeof fileSchema>;

const empty = (): ApprovalsData => ({ version: 1, pending: {}, decided: {} });

function read(path: string): ApprovalsData {
  let text: string | undefined;
  try {
    text = readTextIfExists(path, 'approvals');
  } catch (err) {
    throw new ApprovalStoreError((err as Error).message);
  }
  if (text === undefined) return empty();
  try {
    return fileSchema.parse(parseJsonBytes(Buffer.from(text), { maxBytes: 64 * 1024 * 1024, maxDepth: 64 }));
  } catch {
    throw new ApprovalStoreError(`${path}: the approvals file is malformed; fix: remove it (every waiting call is then refused at its timeout)`);
  }
}

/** Drops what no one waits for any more: expired requests, decisions older than DECIDED_KEEP_MS. */
function prune(d: ApprovalsData, now: number): void {
  for (const [id, p] of Object.entries(d.pending)) if (Date.parse(p.expiresAt) + 5_000 < now) delete d.pending[id];
  const decided = Object.entries(d.decided)
    .filter(([, x]) => Date.parse(x.decision.at) + DECIDED_KEEP_MS > now)
    .sort((a, b) => (a[1].decision.at < b[1].decision.at ? 1 : -1))
    .slice(0, MAX_DECIDED);
  d.decided = Object.fromEntries(decided);
}

export class FileApprovalStore implements ApprovalStore {
  readonly path: string;
  private readonly waiters = new Map<string, Set<(d: ApprovalDecision) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private seen = '';
  private readonly clock: () => number;

  constructor(path: string, clock: () => number = Date.now) {
    this.path = path;
    this.clock = clock;
  }

  private update<T>(fn: (d: ApprovalsData) => T): T {
    try {
      return withFileLock(this.path, 'approvals', () => {
        const d = read(this.path);
        prune(d, this.clock());
        const out = fn(d);
        writeFileAtomic(this.path, JSON.stringify(d, null, 2) + '\n');
        return out;
      });
    } catch (err) {
      if (err instanceof StateFileError) throw new ApprovalStoreError(err.message);
      throw err;
    }
  }

  async request(p: PendingApproval): Promise<void> {
    this.update((d) => {
      if (Object.keys(d.pending).length >= MAX_PENDING) throw new ApprovalStoreError(`too many approvals pending (${MAX_PENDING})`);
      d.pending[p.id] = p;
    });
  }

  async decide(id: string, decision: ApprovalDecision): Promise<DecideOutcome | undefined> {
    const out = this.update((d): DecideOutcome | undefined => {
      const done = d.decided[id];
      if (done) return { decision: done.decision, first: false, request: done.request };
      const request = d.pending[id];
      if (!request) return undefined;
      delete d.pending[id];
      d.decided[id] = { request, decision };
      return { decision, first: true, request };
    });
    if (out) this.wake(id, out.decision);
    return out;
  }

  wait(id: string, signal: AbortSignal): Promise<ApprovalDecision | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = (d: ApprovalDecision | undefined) => {
        set.delete(done);
        if (!set.size) this.waiters.delete(id);
        signal.removeEventListener('abort', onAbort);
        if (!this.waiters.size) this.stopPolling();
        resolve(d);
      };
      const onAbort = () => done(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      set.add(done);
      this.startPolling();
      // Decided before we started waiting (by another process, between request and wait).
      this.poll(true);
    });
  }

  async list(): Promise<PendingApproval[]> {
    const d = read(this.path);
    const now = this.clock();
    return Object.values(d.pending)
      .filter((p) => Date.parse(p.expiresAt) > now)
      .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : 1));
  }

  async close(): Promise<void> {
    this.stopPolling();
  }

  private wake(id: string, d: ApprovalDecision): void {
    for (const fn of [...(this.waiters.get(id) ?? [])]) fn(d);
  }

  private startPolling(): void {
    this.timer ??= setInterval(() => this.poll(false), POLL_MS).unref();
  }

  private stopPolling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(force: boolean): void {
    const id = fileIdentity(this.path);
    if (!force && id === this.seen) return;
    let d: ApprovalsData;
    try {
      d = read(this.path);
    } catch {
      return; // mid-replacement or damaged: the next poll, or the waiter's timeout, decides
    }
    this.seen = id;
    for (const key of [...this.waiters.keys()]) {
      const x = d.decided[key];
      if (x) this.wake(key, x.decision);
    }
  }
}
