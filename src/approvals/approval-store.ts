/**
 * Pending human approvals behind one interface: the domain operations (request, decide, wait,
 * list), not a key-value API, so a shared store (Redis: a hash per approval, a pub/sub channel
 * for decisions) can replace the state-directory one without the gate or the CLI changing. An
 * approval given on one replica must release a call waiting on another: `wait` resolves
 * whichever process made the decision.
 *
 * The rule every implementation keeps: the first decision wins, atomically. A timeout is a
 * decision too (`via: 'timeout'`), so an operator's late "approve" cannot release a call that was
 * already refused, and a refusal cannot be overwritten by a later yes.
 *
 * Two implementations: the state directory (file-approval-store.ts, processes sharing
 * `mcp.state.dir`) and Redis (redis-approval-store.ts, `mcp.state.url`: every replica).
 */
import { z } from 'zod';

/** A call waiting for a person's yes. What `portcullis approvals list --json` prints. */
export interface PendingApproval {
  id: string;
  server: string;
  /** The tool as its server knows it. */
  tool: string;
  /** The caller's subject. */
  principal: string;
  session: string;
  /** The arguments as the audit record would show them (redacted, bounded). */
  arguments?: unknown;
  requestedAt: string;
  expiresAt: string;
  /** Who is asked: the caller's user (elicitation) or an operator. An operator may decide either. */
  askedVia: 'elicitation' | 'operator';
}

/** How a decision was made; `state-file` and `shared-state`: the CLI on the state directory or on Redis, with no admin listener. */
export type ApprovalChannel = 'elicitation' | 'admin-api' | 'console' | 'state-file' | 'shared-state' | 'timeout' | 'cancelled';

export interface ApprovalDecision {
  approved: boolean;
  /** Who: the operator's name, the admin client's address, the caller's subject (elicitation), `timeout`. */
  by: string;
  via: ApprovalChannel;
  at: string;
  reason?: string;
}

export interface DecideOutcome {
  /** The decision in force: this one, or the one made before it. */
  decision: ApprovalDecision;
  /** False when another decision had already been made (the first one wins). */
  first: boolean;
  request: PendingApproval;
}

export class ApprovalStoreError extends Error {}

/** At most this many approvals wait at a time (more are refused, never queued), in every store. */
export const MAX_PENDING = 1000;
/** How long a decision is kept after it was made: long enough for its waiter, wherever it is, to see it. */
export const DECIDED_KEEP_MS = 10 * 60_000;

/** What a store keeps, checked again when it is read back (a file or a Redis value may be damaged). */
export const pendingApprovalSchema = z.strictObject({
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
export const approvalDecisionSchema = z.strictObject({
  approved: z.boolean(),
  by: z.string(),
  via: z.enum(['elicitation', 'admin-api', 'console', 'state-file', 'shared-state', 'timeout', 'cancelled']),
  at: z.string(),
  reason: z.string().optional(),
});

export interface ApprovalStore {
  /** Records a pending approval; throws ApprovalStoreError when too many are pending. */
  request(p: PendingApproval): Promise<void>;
  /** Decides once; `undefined` when no such approval is known (never requested, or long gone). */
  decide(id: string, d: ApprovalDecision): Promise<DecideOutcome | undefined>;
  /**
   * Resolves with the decision once there is one, made here or by another process sharing the
   * store; with `undefined` when `signal` aborts first.
   */
  wait(id: string, signal: AbortSignal): Promise<ApprovalDecision | undefined>;
  /** Every approval still waiting (not decided, not expired), oldest first. */
  list(): Promise<PendingApproval[]>;
  close(): Promise<void>;
}

/** Approval ids: `ap-` and 24 hex digits (96 random bits): not guessable, safe in a URL path. */
export const APPROVAL_ID = /^ap-[0-9a-f]{24}$/;

/**
 * An operator's yes or no, the one function every operator tool uses (admin API, console, CLI
 * on the state directory). `undefined`: no such approval waits.
 */
export async function operatorDecision(store: ApprovalStore, id: string, approved: boolean, who: { by: string; via: ApprovalChannel; reason?: string }): Promise<DecideOutcome | undefined> {
  if (!APPROVAL_ID.test(id)) return undefined;
  return store.decide(id, { approved, by: who.by, via: who.via, at: new Date().toISOString(), reason: who.reason ?? `${approved ? 'approved' : 'refused'} by ${who.by} (${who.via})` });
}
