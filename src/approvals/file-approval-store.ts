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
import { ApprovalWaiters } from './approval-waiters.ts';
import { approvalDecisionSchema, ApprovalStoreError, DECIDED_KEEP_MS, MAX_PENDING, pendingApprovalSchema, type ApprovalDecision, type ApprovalStore, type DecideOutcome, type PendingApproval } from './approval-store.ts';

export const APPROVALS_FILE = 'approvals.json';
export { MAX_PENDING } from './approval-store.ts';
const MAX_DECIDED = 1000;
const POLL_MS = 250;

const fileSchema = z.strictObject({
  version: z.literal(1),
  pending: z.record(z.string(), pendingApprovalSchema),
  decided: z.record(z.string(), z.strictObject({ request: pendingApprovalSchema, decision: approvalDecisionSchema })),
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
  private readonly waiters = new ApprovalWaiters(() => this.stopPolling());
  private timer: NodeJS.Timeout | undefined;
  private seen = '';
  private readonly clock: () => number;
  private readonly maxPending: number;

  constructor(path: string, clock: () => number = Date.now, opts: { maxPending?: number } = {}) {
    this.path = path;
    this.clock = clock;
    this.maxPending = opts.maxPending ?? MAX_PENDING;
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
      if (Object.keys(d.pending).length >= this.maxPending) throw new ApprovalStoreError(`too many approvals pending (${this.maxPending})`);
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
    if (out) this.waiters.wake(id, out.decision);
    return out;
  }

  wait(id: string, signal: AbortSignal): Promise<ApprovalDecision | undefined> {
    const waiting = this.waiters.add(id, signal);
    if (this.waiters.has(id)) {
      this.startPolling();
      // Decided before we started waiting (by another process, between request and wait).
      this.poll(true);
    }
    return waiting;
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
    for (const key of this.waiters.ids()) {
      const x = d.decided[key];
      if (x) this.waiters.wake(key, x.decision);
    }
  }
}
