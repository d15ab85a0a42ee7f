/**
 * The stateful sessions of the HTTP listener (2025-06-18, 2025-11-25): the ones this replica
 * serves now, backed by the session store (state/session-store.ts) that all replicas share when
 * `mcp.state.url` is set.
 *
 * - A session becomes findable everywhere before its `initialize` answer leaves: the answer waits
 *   for the record to be saved, so a client's next request may land on any replica.
 * - A request naming a session this replica does not hold reads the record (one round trip),
 *   checks the principal binding, and serves it here (gateway/session-binding.ts). The store
 *   unreachable: the request is refused with STATE_UNAVAILABLE, never served from a guess.
 * - A session held here is touched at most once a second (its store expiry is its idle timeout);
 *   a touch that finds the record gone ends the local copy: deleted or expired elsewhere.
 * - DELETE, revocation and expiry end the session everywhere: the record is deleted and every
 *   replica holding a copy is told over the session bus (state/session-bus.ts).
 * - Another principal's session is answered as not found (and audited): ids cannot be borrowed.
 */
import type { IncomingMessage } from 'node:http';
import type { Gateway } from '../gateway/gateway.ts';
import { bindSession, unbindSession } from '../gateway/session-binding.ts';
import { boundTo, recordOf, type SessionRecord } from '../gateway/session-record.ts';
import type { Principal, Session } from '../gateway/session.ts';
import { stateUnavailable } from '../state/redis-connection.ts';
import type { BusMessage, SessionBus } from '../state/session-bus.ts';
import type { SessionStore } from '../state/session-store.ts';

/** Ended sessions remembered here, so one ending cannot be restored from a store not yet updated. */
const MAX_ENDED = 10_000;

/** Local sessions re-read their record (extending its expiry, seeing deletions) this often at most. */
const TOUCH_EVERY_MS = 1000;

export interface RegistryHooks {
  /** This replica's Session (with its answer streams) for a stored record, served to `principal`. */
  restore(rec: SessionRecord, principal: Principal, req: IncomingMessage): Session;
  /** How the audit names the caller's connection (its address behind trusted proxies). */
  connectionOf(req: IncomingMessage): string;
  /** The session's streams on this replica end (its GET stream closes). */
  closeStreams(session: Session): void;
  /** Whether this replica holds the session's GET stream. */
  holdsGet(session: Session): boolean;
  /** Another replica's message for this session (bus): deliver or apply it if it is for this replica. */
  fromBus(session: Session, m: Extract<BusMessage, { op: 'stream' | 'client' }>): void;
}

interface Held {
  session: Session;
  /** The serialized record last saved, to save again only on change. */
  saved?: string;
  createdAt: number;
  /** The replica that created it (kept when another replica saves a change). */
  createdBy: string;
  touchedAt: number;
}

export class SessionRegistry {
  private readonly gw: Gateway;
  private readonly store: SessionStore;
  private readonly bus?: SessionBus;
  private readonly hooks: RegistryHooks;
  private readonly idleMs: number;
  private readonly held = new Map<string, Held>();
  private readonly ended = new Set<string>();
  /** The session this registry is closing itself (not an end to tell the other replicas). */
  private closingHere?: Session;
  private closed = false;

  constructor(gw: Gateway, opts: { store: SessionStore; bus?: SessionBus; hooks: RegistryHooks; idleMs: number }) {
    this.gw = gw;
    this.store = opts.store;
    this.bus = opts.bus;
    this.hooks = opts.hooks;
    this.idleMs = opts.idleMs;
  }

  get replica(): string {
    return this.bus?.replica ?? 'local';
  }

  get size(): number {
    return this.held.size;
  }

  /** A session just created here by `initialize` (saved once initialized: `persist`). */
  add(session: Session): void {
    this.hold(session, Date.now(), this.replica);
  }

  /**
   * The session named by `Mcp-Session-Id`, if it exists, is open and belongs to this principal;
   * served here from now on. Throws STATE_UNAVAILABLE when the shared store cannot be read.
   */
  async find(req: IncomingMessage, sid: string, principal: Principal): Promise<Session | undefined> {
    if (this.ended.has(sid)) return undefined;
    const h = this.held.get(sid);
    if (h?.session.closed) {
      this.forget(h.session);
      return undefined;
    }
    if (h) {
      if (!this.bound(req, h.session.id, h.session.principal, principal)) return undefined;
      this.touchLater(h);
      // Same caller, possibly a refreshed credential: its scopes and `iat` apply from now on.
      h.session.principal = principal;
      return h.session;
    }
    let rec: SessionRecord | undefined;
    try {
      rec = await this.store.touch(sid, this.idleMs);
    } catch (err) {
      throw stateUnavailable(err);
    }
    if (!rec || this.closed) return undefined;
    if (!this.bound(req, rec.id, rec, principal)) return undefined;
    // Revoked by id while no replica held it: it ends now, here, for everyone.
    if (this.gw.incident.isSessionRevoked?.(sid)) {
      this.remember(sid);
      void this.endEverywhere(sid, 'revoked by the operator');
      return undefined;
    }
    // Another request for it may have restored it meanwhile.
    const again = this.held.get(sid);
    if (again) return again.session;
    const session = this.hooks.restore(rec, principal, req);
    this.hold(session, rec.createdAt, rec.createdBy).saved = this.serialize(session, rec.createdAt);
    bindSession(this.gw, session);
    return session;
  }

  /** Whether the session changed since it was saved (its answer must wait for `persist`). */
  needsSave(session: Session): boolean {
    const h = this.held.get(session.id);
    return Boolean(h && session.initialized && !session.closed && h.saved !== this.serialize(session, h.createdAt));
  }

  /** Save the session's record now (it is then served by every replica). */
  async persist(session: Session): Promise<void> {
    const h = this.held.get(session.id);
    if (!h) return;
    const rec = recordOf(session, h.createdBy, h.createdAt);
    try {
      await this.store.save(rec, this.idleMs);
    } catch (err) {
      throw stateUnavailable(err);
    }
    h.saved = this.serialize(session, h.createdAt);
  }

  /** A message for the session's GET stream, held by another replica: true if handed to the bus. */
  toOtherReplicas(session: Session, m: Extract<BusMessage, { op: 'stream' | 'client' }>): boolean {
    if (!this.bus || session.stateless) return false;
    this.bus.publish(session.id, m).catch((err: Error) => this.gw.log(`session bus: a ${m.op} message was not sent (${err.message})`));
    return true;
  }

  /** DELETE: the session ends on every replica. */
  async end(session: Session, reason: string): Promise<void> {
    this.closeHere(session, reason);
    await this.endEverywhere(session.id, reason);
  }

  /** Close the local copy only: sessions idle here, and either gone from the store or alive elsewhere. */
  async sweep(now = Date.now()): Promise<void> {
    const cutoff = now - this.idleMs;
    for (const h of [...this.held.values()]) {
      const s = h.session;
      if (s.lastSeen >= cutoff || s.inflight.size > 0) continue;
      if (!this.store.shared) {
        this.closeHere(s, 'idle timeout');
        void this.store.delete(s.id).catch(() => {});
        continue;
      }
      const rec = await this.store.peek(s.id).catch(() => 'unknown' as const);
      if (rec === 'unknown') continue; // the store is down: decide on the next sweep
      if (!rec) this.closeHere(s, 'idle timeout');
      else if (!this.hooks.holdsGet(s)) this.dropCopy(s); // alive elsewhere: just not held here
    }
  }

  /** The listener stops: streams close here, sessions go on (on other replicas, or after restart). */
  close(): void {
    this.closed = true;
    for (const h of this.held.values()) {
      this.hooks.closeStreams(h.session);
      this.bus?.leave(h.session.id);
    }
  }

  private hold(session: Session, createdAt: number, createdBy: string): Held {
    const h: Held = { session, createdAt, createdBy, touchedAt: Date.now() };
    this.held.set(session.id, h);
    // A session the gateway ends for its own reasons (an operator's revocation) ends everywhere.
    session.onClosed = () => {
      if (this.closed || session === this.closingHere || this.held.get(session.id) !== h) return;
      this.forget(session);
      void this.endEverywhere(session.id, 'revoked by the operator');
    };
    this.bus?.join(session.id, (m) => this.onBus(session, m));
    return h;
  }

  private onBus(session: Session, m: BusMessage): void {
    if (this.held.get(session.id)?.session !== session) return;
    if (m.op === 'ended') return this.closeHere(session, `ended on another replica: ${m.reason}`);
    this.hooks.fromBus(session, m);
  }

  private touchLater(h: Held): void {
    const now = Date.now();
    if (h.saved === undefined || now - h.touchedAt < TOUCH_EVERY_MS) return;
    h.touchedAt = now;
    this.store.touch(h.session.id, this.idleMs).then(
      (rec) => {
        if (!rec && this.held.get(h.session.id) === h && h.saved !== undefined) this.closeHere(h.session, 'ended elsewhere (no longer in the session store)');
      },
      () => {}, // the store is down: requests that need it are refused; this copy is checked again later
    );
  }

  private bound(req: IncomingMessage, id: string, owner: Pick<SessionRecord, 'subject' | 'method'>, principal: Principal): boolean {
    if (boundTo(owner, principal)) return true;
    this.gw.audit.emit({
      event: 'session_principal_mismatch',
      session: id,
      connection: this.hooks.connectionOf(req),
      principal: principal.subject,
      authMethod: principal.method,
      decision: 'deny',
      reason: `session of ${owner.method}:${owner.subject} presented by ${principal.method}:${principal.subject}`,
      code: 'SESSION_NOT_FOUND',
    });
    return false;
  }

  private serialize(session: Session, createdAt: number): string {
    return JSON.stringify(recordOf(session, '', createdAt));
  }

  /** End the session on this replica only (it failed to start, expired here, or ended elsewhere). */
  closeHere(session: Session, reason: string): void {
    this.closingHere = session;
    try {
      this.forget(session);
      this.gw.closeSession(session, reason);
    } finally {
      this.closingHere = undefined;
    }
  }

  private dropCopy(session: Session): void {
    this.forget(session);
    unbindSession(this.gw, session);
  }

  private forget(session: Session): void {
    if (this.held.get(session.id)?.session !== session) return;
    if (session.closed || this.closingHere === session) this.remember(session.id);
    this.held.delete(session.id);
    this.bus?.leave(session.id);
    this.hooks.closeStreams(session);
  }

  private remember(id: string): void {
    this.ended.add(id);
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.values().next().value!);
  }

  private async endEverywhere(id: string, reason: string): Promise<void> {
    try {
      await this.store.delete(id);
      await this.bus?.publish(id, { op: 'ended', reason });
    } catch (err) {
      // The record expires with its idle timeout; until then a replica that reads it serves it.
      this.gw.log(`WARNING: session end not recorded in the shared store (${(err as Error).message}); other replicas serve the session until it expires`);
      this.gw.audit.emit({ event: 'upstream_error', session: id, decision: 'error', reason: `session end (${reason}) not recorded in the shared store: ${(err as Error).message}` });
    }
  }
}
