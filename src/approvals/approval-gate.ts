/**
 * Where a call that needs a person's yes waits (checks/require-approval.ts).
 *
 * One approval per call, in the store (approval-store.ts) so every operator tool sees it. Who is
 * asked: the caller's user, through `elicitation/create`, when its client can take one
 * (elicit-approval.ts); an operator otherwise (`portcullis approvals`, the console, the admin
 * API) — and an operator may also decide a call the user is being asked about. The first
 * decision wins; none before the timeout is a refusal (`via: timeout`), recorded in the store
 * like any other, so a late approval releases nothing.
 *
 * While it waits, a call whose request carried a progress token gets `notifications/progress`
 * every PROGRESS_MS, so a client that resets its timeout on progress keeps waiting (spec,
 * basic/utilities/progress). The waiting gateway writes the audit records: `approval_requested`,
 * then `approval_granted` or `approval_denied` naming who, how and when — whichever process or
 * person decided.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.ts';
import { ClientRequests } from '../gateway/client-requests.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { ProgressToken } from '../gateway/progress.ts';
import type { Session } from '../gateway/session.ts';
import type { JsonRpcId } from '../protocol/envelope.ts';
import type { ApprovalDecision, ApprovalStore, PendingApproval } from './approval-store.ts';
import { APPROVALS_FILE, FileApprovalStore } from './file-approval-store.ts';
import { argumentSummary, canElicit, elicitApproval } from './elicit-approval.ts';

export const PROGRESS_MS = 5_000;

export interface ApprovalAsk {
  session: Session;
  /** The client's request id: the stream the question and the progress go out on. */
  related: JsonRpcId;
  protocolVersion?: string;
  server: string;
  tool: string;
  args: unknown;
  timeoutMs: number;
  progressToken?: ProgressToken;
}

export interface ApprovalOutcome {
  id: string;
  askedVia: PendingApproval['askedVia'];
  decision: ApprovalDecision;
}

export class ApprovalGate {
  readonly store: ApprovalStore;
  /** The gateway's own requests to clients (the elicitation question). */
  readonly asks = new ClientRequests();
  private readonly audit: AuditLog;
  private readonly log: (line: string) => void;
  private readonly waiting = new Map<Session, Map<JsonRpcId, AbortController>>();

  constructor(store: ApprovalStore, opts: { audit: AuditLog; log: (line: string) => void }) {
    this.store = store;
    this.audit = opts.audit;
    this.log = opts.log;
  }

  /** Waits for the decision on one call; throws ApprovalStoreError when the store refuses a new approval. */
  async decide(gw: Gateway, a: ApprovalAsk): Promise<ApprovalOutcome> {
    const id = `ap-${randomBytes(12).toString('hex')}`;
    const now = Date.now();
    const askedVia = canElicit(a.session, a.protocolVersion) ? 'elicitation' : 'operator';
    const pending: PendingApproval = {
      id, server: a.server, tool: a.tool, principal: a.session.principal.subject, session: a.session.id,
      arguments: argumentSummary(a.args).value, requestedAt: new Date(now).toISOString(), expiresAt: new Date(now + a.timeoutMs).toISOString(), askedVia,
    };
    await this.store.request(pending);
    this.audit.emit({
      event: 'approval_requested', session: a.session.id, principal: pending.principal, server: a.server, tool: a.tool, decision: 'allow',
      reason: `waiting for ${askedVia === 'elicitation' ? "the caller's user (elicitation) or an operator" : 'an operator'} until ${pending.expiresAt}`,
      detail: { approvalId: id, askedVia, expiresAt: pending.expiresAt },
    });

    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, a.timeoutMs);
    timer.unref();
    let beats = 0;
    const progress = a.progressToken === undefined ? undefined : setInterval(() => {
      const params = { progressToken: a.progressToken, progress: ++beats, message: `waiting for approval ${id}` };
      if (!a.session.closed) a.session.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params }), a.related);
    }, PROGRESS_MS);
    progress?.unref();
    const calls = this.waiting.get(a.session) ?? new Map<JsonRpcId, AbortController>();
    this.waiting.set(a.session, calls);
    calls.set(a.related, ac);

    try {
      if (askedVia === 'elicitation') {
        void elicitApproval(gw, this.asks, { session: a.session, related: a.related, server: a.server, tool: a.tool, args: a.args }, ac.signal).then(
          async (answer) => {
            if (!answer) return; // no usable answer: an operator may still decide before the timeout
            await this.store.decide(id, { approved: answer.approved, by: a.session.principal.subject, via: 'elicitation', at: new Date().toISOString(), reason: `elicitation: ${answer.action}` });
          },
          (err: Error) => this.log(`approval ${id}: elicitation failed: ${err.message}`),
        ).catch((err: Error) => this.log(`approval ${id}: the user's answer could not be recorded (${storeProblem(err)}); the call waits on until its timeout`));
      }
      let decision = await this.store.wait(id, ac.signal);
      if (!decision) {
        // Timed out, cancelled by the client, or the session ended: a refusal — unless a decision
        // landed at the same moment (the first one wins, whichever it is).
        const end: ApprovalDecision = timedOut
          ? { approved: false, by: 'timeout', via: 'timeout', at: new Date().toISOString(), reason: `no decision within ${a.timeoutMs / 1000}s` }
          : { approved: false, by: a.session.principal.subject, via: 'cancelled', at: new Date().toISOString(), reason: a.session.closed ? 'the session ended' : 'the client cancelled the call' };
        // The store cannot record it (Redis away): refused all the same, never left open.
        decision = (await this.store.decide(id, end).catch((err: Error) => {
          this.log(`approval ${id}: the ${end.via} refusal could not be recorded (${storeProblem(err)}); refused here`);
          return undefined;
        }))?.decision ?? end;
      }
      this.audit.emit({
        event: decision.approved ? 'approval_granted' : 'approval_denied', session: a.session.id, principal: decision.by, server: a.server, tool: a.tool,
        decision: decision.approved ? 'allow' : 'deny', reason: decision.reason ?? `${decision.approved ? 'approved' : 'refused'} via ${decision.via}`,
        detail: { approvalId: id, via: decision.via, at: decision.at, requestedBy: pending.principal, requestedAt: pending.requestedAt, askedVia },
      });
      return { id, askedVia, decision };
    } finally {
      clearTimeout(timer);
      clearInterval(progress);
      ac.abort(); // withdraws the elicitation question if it is still open
      calls.delete(a.related);
      if (!calls.size) this.waiting.delete(a.session);
    }
  }

  /** The client cancelled a call (notifications/cancelled): true when it was waiting here. */
  cancel(session: Session, requestId: unknown): boolean {
    const ac = this.waiting.get(session)?.get(requestId as JsonRpcId);
    ac?.abort();
    return ac !== undefined;
  }

  /** A session ended: every call of it still waiting is refused. */
  dropSession(session: Session): void {
    for (const ac of this.waiting.get(session)?.values() ?? []) ac.abort();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

const storeProblem = (err: Error): string => (err as { detail?: string }).detail ?? err.message;

/** The gate over the state directory's store (file-approval-store.ts): what a gateway uses unless told otherwise. */
export function stateDirApprovals(stateDir: string, opts: { audit: AuditLog; log: (line: string) => void }): ApprovalGate {
  return new ApprovalGate(new FileApprovalStore(join(stateDir, APPROVALS_FILE)), opts);
}
