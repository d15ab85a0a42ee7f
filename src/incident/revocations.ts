/**
 * Revocation of every credential kind, as pure functions of the incident state.
 *
 * What can be revoked: everything (`--all`), one subject (every credential naming it), one
 * session, one API key (by its id) and one client certificate (by its SHA-256 fingerprint). A
 * revocation at time T refuses every credential that existed at T: a JWT whose `iat` is not after
 * T, an API key whose `createdAt` is not after T, a certificate whose `notBefore` is not after T.
 * A credential whose issue time is unknown — a JWT without `iat`, a key entry without `createdAt`
 * (or with one in the future) — counts as pre-existing: refused. So after `--all` every caller
 * that holds a credential is refused until it gets a new one (a fresh token, a key from
 * `portcullis keys api-key`, a certificate issued after T) or the operator reinstates it.
 *
 * Reinstating (`portcullis revoke --reinstate --api-key ID | --certificate FP | --subject SUB`)
 * records a time R: the credential (or subject) is exempt from every revocation made before R, and
 * caught again by any made after. Nothing is deleted, so the state keeps the history.
 *
 * Callers without a credential — the local user of `portcullis wrap`, anonymous HTTP callers —
 * have nothing to revoke: their sessions end, and lockdown or `requireAuth` is what stops them.
 */
import type { Principal } from '../gateway/session.ts';
import type { IncidentData } from './incident-state.ts';

export interface RevokeRequest {
  all?: boolean;
  subject?: string;
  session?: string;
  /** An API key's `id` (mcp.identity.apiKeys). */
  apiKey?: string;
  /** A client certificate's SHA-256 fingerprint: hex, with or without colons or a `sha256:` prefix. */
  certificate?: string;
  /** Lift the named subject's, key's or certificate's revocations made before now. */
  reinstate?: boolean;
}

type Revocations = IncidentData['revocations'];
type CredentialKind = 'apiKeys' | 'certificates';

/** `AB:CD:…` (Node's fingerprint256), `sha256:abcd…` or plain hex → 64 lowercase hex digits. */
export function normalizeFingerprint(s: string): string | undefined {
  const hex = s.trim().replace(/^sha256:/i, '').replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** The credential a principal presented, as revocation names it. */
function credentialOf(p: Principal): { kind: CredentialKind; id: string } | undefined {
  if (p.method === 'api-key' && p.credential) return { kind: 'apiKeys', id: p.credential };
  const fp = p.method === 'mtls' && p.credential ? normalizeFingerprint(p.credential) : undefined;
  return fp ? { kind: 'certificates', id: fp } : undefined;
}

/** Principals that hold a credential: only those can be revoked (see the file comment). */
const CREDENTIAL_METHODS: ReadonlySet<string> = new Set(['jwt', 'api-key', 'mtls']);

const at = (rec: Record<string, string>, key: string): number => (Object.hasOwn(rec, key) ? Date.parse(rec[key]) : NaN);

/** The revocation that refuses this principal's credential, if any (the latest that applies). */
export function revocationOf(r: Revocations, p: Principal): { at: string; scope: string } | undefined {
  if (!CREDENTIAL_METHODS.has(p.method)) return undefined;
  const cred = credentialOf(p);
  const candidates: [number, string][] = [
    [r.all ? Date.parse(r.all) : NaN, 'everything'],
    [at(r.subjects, p.subject), `subject '${p.subject}'`],
  ];
  if (cred) candidates.push([at(r[cred.kind], cred.id), `${cred.kind === 'apiKeys' ? 'API key' : 'certificate'} '${cred.id}'`]);
  const reinstated = Math.max(at(r.reinstated.subjects, p.subject) || 0, cred ? at(r.reinstated[cred.kind], cred.id) || 0 : 0);
  // Unknown issue time: pre-existing.
  const issued = p.issuedAt !== undefined ? p.issuedAt * 1000 : -Infinity;
  let hit: [number, string] | undefined;
  for (const c of candidates) {
    const [t] = c;
    if (!(t > 0) || issued > t || reinstated >= t) continue;
    if (!hit || t > hit[0]) hit = c;
  }
  return hit && { at: new Date(hit[0]).toISOString(), scope: hit[1] };
}

/** Applies an operator's request to the state (admin API and state-file paths alike). */
export function applyRevoke(s: IncidentData, req: RevokeRequest, now: string): void {
  const r = s.revocations;
  const fp = req.certificate !== undefined ? normalizeFingerprint(req.certificate) : undefined;
  if (req.certificate !== undefined && !fp) throw new RangeError(`certificate '${req.certificate}': not a SHA-256 fingerprint (64 hex digits, colons allowed)`);
  const into = req.reinstate ? r.reinstated : r;
  if (req.reinstate && (req.all || req.session)) throw new RangeError('--reinstate applies to a subject, an API key or a certificate, not to everything or a session');
  if (req.all) r.all = now;
  if (req.session) r.sessions[req.session] = now;
  if (req.subject) into.subjects[req.subject] = now;
  if (req.apiKey) into.apiKeys[req.apiKey] = now;
  if (fp) into.certificates[fp] = now;
}

export interface RevocationChanges {
  all?: string;
  subjects: string[];
  sessions: string[];
  apiKeys: string[];
  certificates: string[];
  reinstated: { subjects: string[]; apiKeys: string[]; certificates: string[] };
}

const changed = (a: Record<string, string>, b: Record<string, string>): string[] => Object.keys(a).filter((k) => a[k] !== b[k]);

export function revocationChanges(before: Revocations, after: Revocations): RevocationChanges {
  return {
    all: after.all !== before.all ? after.all : undefined,
    subjects: changed(after.subjects, before.subjects),
    sessions: changed(after.sessions, before.sessions),
    apiKeys: changed(after.apiKeys, before.apiKeys),
    certificates: changed(after.certificates, before.certificates),
    reinstated: {
      subjects: changed(after.reinstated.subjects, before.reinstated.subjects),
      apiKeys: changed(after.reinstated.apiKeys, before.reinstated.apiKeys),
      certificates: changed(after.reinstated.certificates, before.reinstated.certificates),
    },
  };
}

/** Whether a newly revoked entry covers a live session (which then ends at once). */
export function sessionHit(c: RevocationChanges, sessionId: string, p: Principal): boolean {
  if (c.all || c.sessions.includes(sessionId) || c.subjects.includes(p.subject)) return true;
  const cred = credentialOf(p);
  return cred !== undefined && c[cred.kind].includes(cred.id);
}
