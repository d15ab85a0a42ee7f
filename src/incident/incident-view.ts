/**
 * What the checks ask of the incident state (lockdown, disabled servers, revocations), apart from
 * incident-control.ts, which acts on the gateway: the checks depend on the question, not on it.
 */
import type { Principal } from '../gateway/session.ts';
import type { NameRef } from '../policy/name-match.ts';

/** What the checks ask. */
export interface IncidentView {
  /**
   * The lockdown in force, if any; `allowed(tool)` names the allowlist pattern that lets a tool
   * through. Matched like an allow rule (policy/name-match.ts): `files__read_*` is server files'.
   */
  lockdown(): { active: boolean; allowed: (tool: NameRef) => string | undefined; reason?: string };
  isServerDisabled(name: string): boolean;
  /** The revocation that refuses this principal's credential (incident/revocations.ts), if any. */
  revocationOf(p: Principal): { at: string; scope: string } | undefined;
  /**
   * Whether the operator revoked this session by id: a replica that never held the session must
   * not restore it from the session store (transports/session-registry.ts).
   */
  isSessionRevoked?(id: string): boolean;
}

export const NO_INCIDENT: IncidentView = Object.freeze({
  lockdown: () => ({ active: false, allowed: () => undefined }),
  isServerDisabled: () => false,
  revocationOf: () => undefined,
});
