/**
 * Who owns which task (MCP 2025-11-25, basic/utilities/tasks). A server shared by many clients
 * keeps one task store for its one client — the gateway — so it cannot tell Alice's tasks from
 * Bob's: on its own it lists, returns and cancels any task for anyone who names it. The spec
 * (Security Considerations) wants tasks bound to the authorization context that created them;
 * the gateway is where that context is known, so the binding lives here.
 *
 * A CreateTaskResult binds (server, server's taskId) to the session and principal of the call
 * that created it and the tool it ran. A task the caller does not own is, for that caller, a task
 * that does not exist: `tasks/get|result|cancel` of it never reach the server (the same -32602 as
 * an unknown id), `tasks/list` leaves it out, its status notifications are not sent to them.
 *
 * Bounded: at most MAX_TASKS entries, MAX_PER_SESSION per session (the oldest goes first, so one
 * caller cannot push out everyone else's); an entry lives as long as its task's ttl, capped at
 * MAX_TTL_MS (a task with no ttl gets the cap), and goes with its session.
 */
import type { JsonRpcNotification } from '../protocol/envelope.ts';
import type { Session } from './session.ts';

export const MAX_TASKS = 10_000;
export const MAX_PER_SESSION = 1_000;
export const MAX_TTL_MS = 24 * 60 * 60_000;
/** A status that arrives before its CreateTaskResult is bound is held this long (latest only). */
const EARLY_STATUS_MS = 30_000;
const MAX_EARLY = 256;
const MAX_TASK_ID = 1024;

/** `_meta` key that ties a request or notification to a task (spec: Associating Task-Related Messages). */
export const RELATED_TASK = 'io.modelcontextprotocol/related-task';

export interface TaskEntry {
  server: string;
  taskId: string;
  session: Session;
  /** The principal at creation: a session's principal keeps subject and method (http-server.ts). */
  subject: string;
  method: string;
  /** The tool the task runs, as the server and as the client name it. */
  tool: string;
  exposed: string;
  expires: number;
}

export type TaskLookup = { entry: TaskEntry } | { refused: string };

const keyOf = (server: string, taskId: string) => `${server}\u0000${taskId}`;

/** The task a message names in `_meta["io.modelcontextprotocol/related-task"].taskId`, if any. */
export function relatedTaskId(params: Record<string, unknown> | undefined): string | undefined {
  const meta = params?._meta as Record<string, unknown> | undefined;
  const rel = meta?.[RELATED_TASK] as { taskId?: unknown } | undefined;
  return typeof rel?.taskId === 'string' ? rel.taskId : undefined;
}

export class TaskTable {
  /** In insertion order, so the first entries are the oldest. */
  private readonly entries = new Map<string, TaskEntry>();
  private readonly perSession = new Map<Session, number>();
  private readonly early = new Map<string, { msg: JsonRpcNotification; at: number }>();
  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Bind a task the server just created for this session's call. `ttl` is the server's (ms, or
   * null for unlimited). Returns false for a task id the gateway will not track (not a string,
   * oversized, or already bound to someone else: a server must not hand one task to two callers).
   */
  bind(b: { server: string; taskId: unknown; ttl: unknown; session: Session; tool: string; exposed: string }): boolean {
    if (typeof b.taskId !== 'string' || !b.taskId || b.taskId.length > MAX_TASK_ID) return false;
    const key = keyOf(b.server, b.taskId);
    const now = this.clock();
    const existing = this.entries.get(key);
    if (existing && existing.expires > now && existing.session !== b.session) return false;
    this.remove(key);
    const ttl = typeof b.ttl === 'number' && b.ttl > 0 ? Math.min(b.ttl, MAX_TTL_MS) : MAX_TTL_MS;
    const entry: TaskEntry = {
      server: b.server, taskId: b.taskId, session: b.session, subject: b.session.principal.subject, method: b.session.principal.method,
      tool: b.tool, exposed: b.exposed, expires: now + ttl,
    };
    if ((this.perSession.get(b.session) ?? 0) >= MAX_PER_SESSION) {
      const oldest = [...this.entries].find(([, e]) => e.session === b.session);
      if (oldest) this.remove(oldest[0]);
    }
    if (this.entries.size >= MAX_TASKS) {
      for (const [k, e] of this.entries) if (e.expires <= now) this.remove(k);
      if (this.entries.size >= MAX_TASKS) this.remove(this.entries.keys().next().value!);
    }
    this.entries.set(key, entry);
    this.perSession.set(b.session, (this.perSession.get(b.session) ?? 0) + 1);
    const held = this.early.get(key);
    if (held) {
      this.early.delete(key);
      this.deliver(entry, held.msg);
    }
    return true;
  }

  /**
   * The caller's task `taskId` on one of `servers`, or why the caller may not reach it (for the
   * audit record only: on the wire every refusal is the same unknown task).
   */
  find(taskId: unknown, session: Session, servers: Iterable<string>): TaskLookup {
    if (typeof taskId !== 'string') return { refused: 'unknown task' };
    const now = this.clock();
    let theirs: TaskEntry | undefined;
    let found: TaskEntry | undefined;
    for (const server of servers) {
      const e = this.entries.get(keyOf(server, taskId));
      if (!e || e.expires <= now) continue;
      if (!this.owns(e, session)) theirs ??= e;
      else if (found) return { refused: `task id on more than one server (${found.server}, ${server})` };
      else found = e;
    }
    if (found) return { entry: found };
    return { refused: theirs ? `task owned by another session (${theirs.method}:${theirs.subject}, tool '${theirs.tool}' on '${theirs.server}')` : 'unknown task' };
  }

  /** The caller's own, unexpired task on this server, for filtering `tasks/list`. */
  mine(server: string, taskId: unknown, session: Session): TaskEntry | undefined {
    const e = typeof taskId === 'string' ? this.entries.get(keyOf(server, taskId)) : undefined;
    return e && e.expires > this.clock() && this.owns(e, session) ? e : undefined;
  }

  /** The session to tell about this task, if it is bound, unexpired and its session still open. */
  owner(server: string, taskId: string): Session | undefined {
    const e = this.entries.get(keyOf(server, taskId));
    return e && e.expires > this.clock() && !e.session.closed ? e.session : undefined;
  }

  /**
   * `notifications/tasks/status` to the task's owner only. A status may overtake the
   * CreateTaskResult it belongs to (the server starts working before the gateway has bound the
   * task): the latest one per task is held briefly and delivered on binding. Nobody else gets it.
   */
  deliverStatus(server: string, msg: JsonRpcNotification): void {
    const taskId = msg.params?.taskId;
    if (typeof taskId !== 'string' || taskId.length > MAX_TASK_ID) return;
    const key = keyOf(server, taskId);
    const e = this.entries.get(key);
    if (e) {
      if (e.expires > this.clock()) this.deliver(e, msg);
      return;
    }
    const now = this.clock();
    for (const [k, v] of this.early) if (v.at + EARLY_STATUS_MS <= now) this.early.delete(k);
    this.early.delete(key);
    if (this.early.size >= MAX_EARLY) this.early.delete(this.early.keys().next().value!);
    this.early.set(key, { msg, at: now });
  }

  /** A closed session's tasks cannot be reached by anyone again: forget them. */
  dropSession(session: Session): void {
    // Most sessions own no task (every stateless 2026-07-28 request is a session): no scan for them.
    if (!this.perSession.has(session)) return;
    for (const [k, e] of this.entries) if (e.session === session) this.remove(k);
  }

  private owns(e: TaskEntry, s: Session): boolean {
    return e.session === s && !s.closed && s.principal.subject === e.subject && s.principal.method === e.method;
  }

  private deliver(e: TaskEntry, msg: JsonRpcNotification): void {
    if (!e.session.closed) e.session.send(JSON.stringify(msg));
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    const n = (this.perSession.get(e.session) ?? 1) - 1;
    if (n > 0) this.perSession.set(e.session, n);
    else this.perSession.delete(e.session);
  }
}
