/**
 * Server notifications the gateway has no special route for. They are never broadcast: a
 * notification the gateway does not know may carry one tenant's data (a task's status message,
 * a custom audit trail of a call), and sending it to every session hands it to all the others.
 * Only the list changes, which say nothing about any caller, go to everyone (gateway.ts).
 *
 * One tied to a task (`notifications/tasks/status`, or `_meta` related-task, log lines included)
 * goes to the task's owner (task-table.ts) or to no one. Any other goes where the server's log
 * lines go: the one session with work in flight on that server (or the one `wrap` client), else
 * to no one.
 */
import type { JsonRpcId, JsonRpcNotification } from '../protocol/envelope.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { ServerRequestRouter } from './server-requests.ts';
import type { Session } from './session.ts';
import { relatedTaskId, type TaskTable } from './task-table.ts';

export interface OwnerContext {
  tasks: TaskTable;
  sessions: Iterable<Session>;
  mode: 'run' | 'wrap';
}

export function deliverToOwner(gw: OwnerContext, up: Upstream, msg: JsonRpcNotification): void {
  if (msg.method === 'notifications/tasks/status') return gw.tasks.deliverStatus(up.name, msg);
  const owner = ownerOf(gw, up, msg.params);
  owner?.session.send(JSON.stringify(msg), owner.related);
}

/** The one session a server notification is for (log lines too), or none. */
export function ownerOf(gw: OwnerContext, up: Upstream, params: Record<string, unknown> | undefined): { session: Session; related?: JsonRpcId } | undefined {
  const taskId = relatedTaskId(params);
  if (taskId === undefined) return ServerRequestRouter.pickSession(up, gw.sessions, gw.mode === 'wrap');
  const session = gw.tasks.owner(up.name, taskId);
  return session && { session };
}

/**
 * The sessions that may receive a server's request (sampling, elicitation): a request tied to a
 * task goes to that task's owner only — none if the task is not one the gateway bound — so an
 * elicitation about Alice's task cannot land with Bob because his call happened to be in flight.
 */
export function candidatesFor(gw: OwnerContext, up: Upstream, params: Record<string, unknown> | undefined): Iterable<Session> {
  const taskId = relatedTaskId(params);
  if (taskId === undefined) return gw.sessions;
  const owner = gw.tasks.owner(up.name, taskId);
  return owner ? [owner] : [];
}
