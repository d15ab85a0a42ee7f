/**
 * What a stateful session (2025-06-18, 2025-11-25) is, apart from the connections that carry it:
 * the record a session store keeps so that any replica can serve any session.
 *
 * It holds what the session negotiated (revision, client info and capabilities, log level,
 * resource subscriptions) and its principal binding (subject and method: a request presenting
 * the id with another principal is answered like an unknown session). It never holds a
 * credential: every request is authenticated afresh, and the principal it carries (scopes, `iat`,
 * expiry) is that request's. What is in flight, the answer streams and the replay buffer stay
 * with the replica serving them.
 *
 * Records come back from a shared store (Redis): they are parsed with the untrusted-JSON limits
 * and checked field by field, so a damaged entry is refused, never half-applied.
 */
import { parseJsonBytes } from '../protocol/safe-json.ts';
import { Session, type Principal } from './session.ts';

export const RECORD_VERSION = 1;
/** A record is a few hundred bytes; capabilities with large `experimental` blocks stay well under this. */
export const MAX_RECORD_BYTES = 64 * 1024;
/** Subscriptions kept per session (each one also holds an upstream subscription). */
export const MAX_SUBSCRIPTIONS = 1000;

export interface SessionRecord {
  v: typeof RECORD_VERSION;
  id: string;
  /** The principal binding: who created the session. */
  subject: string;
  method: string;
  protocolVersion: string;
  clientInfo?: { name?: string; version?: string };
  clientCapabilities: Record<string, unknown>;
  logLevel?: string;
  subscriptions: string[];
  /** The replica that created it, for the audit and for operators. */
  createdBy: string;
  createdAt: number;
}

/** The record of an initialized stateful session. */
export function recordOf(s: Session, replica: string, createdAt: number): SessionRecord {
  return {
    v: RECORD_VERSION,
    id: s.id,
    subject: s.principal.subject,
    method: s.principal.method,
    protocolVersion: s.protocolVersion ?? '',
    ...(s.clientInfo && { clientInfo: { name: s.clientInfo.name, version: s.clientInfo.version } }),
    clientCapabilities: s.clientCapabilities,
    ...(s.logLevel !== undefined && { logLevel: s.logLevel }),
    subscriptions: [...s.subscriptions].slice(0, MAX_SUBSCRIPTIONS),
    createdBy: replica,
    createdAt,
  };
}

/** Whether `p` is the principal the session is bound to (same subject, same way of proving it). */
export function boundTo(rec: Pick<SessionRecord, 'subject' | 'method'>, p: Principal): boolean {
  return rec.subject === p.subject && rec.method === p.method;
}

/** This replica's Session for a stored record, served to `principal` (already checked with `boundTo`). */
export function sessionFromRecord(rec: SessionRecord, opts: { principal: Principal; connection: string; send: Session['send'] }): Session {
  const s = new Session({ id: rec.id, principal: opts.principal, connection: opts.connection, send: opts.send });
  s.protocolVersion = rec.protocolVersion;
  s.clientInfo = rec.clientInfo;
  s.clientCapabilities = rec.clientCapabilities;
  s.logLevel = rec.logLevel;
  for (const uri of rec.subscriptions) s.subscriptions.add(uri);
  s.initialized = true;
  return s;
}

export function serializeRecord(rec: SessionRecord): string {
  return JSON.stringify(rec);
}

/** A stored record, or undefined when it is not one this version wrote (damaged, foreign, too big). */
export function parseRecord(text: string | Buffer): SessionRecord | undefined {
  let raw: unknown;
  try {
    raw = parseJsonBytes(typeof text === 'string' ? Buffer.from(text) : text, { maxBytes: MAX_RECORD_BYTES, maxDepth: 64 });
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const str = (v: unknown) => typeof v === 'string';
  const obj = (v: unknown) => Boolean(v) && typeof v === 'object' && !Array.isArray(v);
  if (r.v !== RECORD_VERSION || !str(r.id) || !str(r.subject) || !str(r.method) || !str(r.protocolVersion) || !str(r.createdBy)) return undefined;
  if (typeof r.createdAt !== 'number' || !obj(r.clientCapabilities)) return undefined;
  if (r.clientInfo !== undefined && !obj(r.clientInfo)) return undefined;
  if (r.logLevel !== undefined && !str(r.logLevel)) return undefined;
  if (!Array.isArray(r.subscriptions) || r.subscriptions.length > MAX_SUBSCRIPTIONS || !r.subscriptions.every(str)) return undefined;
  return r as unknown as SessionRecord;
}
