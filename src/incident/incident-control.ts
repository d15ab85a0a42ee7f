/**
 * Incident response acting on a running gateway: lockdown, revocation, server isolation.
 *
 * Every change goes through the incident state file (incident-state.ts), whether it came from
 * this gateway's admin API or from another process (the CLI without an admin listener, another
 * gateway sharing the state directory); each gateway applies what changed when it sees it, within
 * half a second, and audits it. The checks read the in-memory view on every call, so the switch
 * costs nothing while it is off.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Session } from '../gateway/session.ts';
import { compileNamePattern, nameSubject, type NamePattern, type NameRef } from '../policy/name-match.ts';
import type { IncidentData, IncidentState } from './incident-state.ts';

/** What the checks ask. */
export interface IncidentView {
  /**
   * The lockdown in force, if any; `allowed(tool)` names the allowlist pattern that lets a tool
   * through. Matched like an allow rule (policy/name-match.ts): `files__read_*` is server files'.
   */
  lockdown(): { active: boolean; allowed: (tool: NameRef) => string | undefined; reason?: string };
  isServerDisabled(name: string): boolean;
  /** A token issued at `issuedAtSeconds` (its `iat`) to `subject` was revoked after it was issued. */
  isTokenRevoked(subject: string, issuedAtSeconds: number): boolean;
}

export const NO_INCIDENT: IncidentView = Object.freeze({
  lockdown: () => ({ active: false, allowed: () => undefined }),
  isServerDisabled: () => false,
  isTokenRevoked: () => false,
});

export interface RevokeRequest {
  all?: boolean;
  subject?: string;
  session?: string;
}

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);

export class IncidentControl implements IncidentView {
  readonly state: IncidentState;
  private readonly audit: AuditLog;
  private readonly log: (line: string) => void;
  private readonly clock: () => Date;
  private gw: Gateway | undefined;
  private allowList: NamePattern[] = [];

  constructor(state: IncidentState, opts: { audit: AuditLog; log: (line: string) => void; clock?: () => Date }) {
    this.state = state;
    this.audit = opts.audit;
    this.log = opts.log;
    this.clock = opts.clock ?? (() => new Date());
    this.compile(state.current);
  }

  private compile(s: IncidentData): void {
    this.allowList = s.lockdown.allow.map((p) => compileNamePattern('tool', p));
  }

  lockdown() {
    const l = this.state.current.lockdown;
    const list = this.allowList;
    return {
      active: l.enabled,
      reason: l.reason,
      allowed: (tool: NameRef) => {
        const subject = nameSubject(tool);
        return list.find((p) => p.exact(subject))?.source;
      },
    };
  }

  isServerDisabled(name: string): boolean {
    return name in this.state.current.disabledServers;
  }

  isTokenRevoked(subject: string, issuedAtSeconds: number): boolean {
    const r = this.state.current.revocations;
    const at = Math.max(ms(r.all) || 0, ms(r.subjects[subject]) || 0);
    return at > 0 && issuedAtSeconds * 1000 <= at;
  }

  /** Binds to the gateway: applies the state found at start, then follows the file. */
  attach(gw: Gateway): void {
    this.gw = gw;
    const s = this.state.current;
    for (const name of Object.keys(s.disabledServers)) void this.isolate(name);
    if (s.lockdown.enabled) {
      this.log(`emergency lockdown is in force (since ${s.lockdown.since ?? '?'}): tool calls are refused except ${JSON.stringify(s.lockdown.allow)}`);
      this.audit.emit({ event: 'lockdown_enabled', decision: 'deny', reason: `in force at start: ${s.lockdown.reason ?? 'no reason given'}`, detail: { allow: s.lockdown.allow, since: s.lockdown.since, by: s.lockdown.by, atStart: true } });
    }
    this.state.watch((before, after) => this.apply(before, after, 'state file'));
  }

  detach(): void {
    this.state.stop();
  }

  setLockdown(on: boolean, opts: { allow?: string[]; by: string; reason?: string }): IncidentData {
    const { before, after } = this.state.update((s) => {
      s.lockdown = on ? { enabled: true, allow: opts.allow ?? [], since: this.clock().toISOString(), by: opts.by, reason: opts.reason } : { enabled: false, allow: [] };
    });
    this.apply(before, after, opts.by);
    return after;
  }

  revoke(req: RevokeRequest, opts: { by: string; reason?: string }): { sessionsEnded: number; state: IncidentData } {
    const now = this.clock().toISOString();
    const ended = { n: 0 };
    const { before, after } = this.state.update((s) => {
      if (req.all) s.revocations.all = now;
      if (req.subject) s.revocations.subjects[req.subject] = now;
      if (req.session) s.revocations.sessions[req.session] = now;
    });
    ended.n = this.apply(before, after, opts.by, opts.reason);
    return { sessionsEnded: ended.n, state: after };
  }

  setServer(name: string, disabled: boolean, opts: { by: string; reason?: string }): IncidentData {
    const { before, after } = this.state.update((s) => {
      if (disabled) s.disabledServers[name] = { since: this.clock().toISOString(), by: opts.by, reason: opts.reason };
      else delete s.disabledServers[name];
    });
    this.apply(before, after, opts.by);
    return after;
  }

  /** Acts on what changed between two states; returns how many sessions were ended. */
  private apply(before: IncidentData, after: IncidentData, by: string, reason?: string): number {
    this.compile(after);
    const b = before.lockdown;
    const a = after.lockdown;
    if (a.enabled !== b.enabled || JSON.stringify(a.allow) !== JSON.stringify(b.allow)) {
      this.log(a.enabled ? `EMERGENCY LOCKDOWN by ${a.by ?? by}: tool calls refused except ${JSON.stringify(a.allow)}` : `lockdown lifted by ${by}`);
      this.audit.emit({
        event: a.enabled ? 'lockdown_enabled' : 'lockdown_disabled',
        principal: a.by ?? by,
        decision: a.enabled ? 'deny' : 'allow',
        reason: a.reason ?? (a.enabled ? 'emergency lockdown' : 'lockdown lifted'),
        detail: { allow: a.allow, since: a.since, via: by },
      });
    }
    const ended = this.endRevokedSessions(before, after, by, reason);
    for (const name of new Set([...Object.keys(before.disabledServers), ...Object.keys(after.disabledServers)])) {
      const was = name in before.disabledServers;
      const is = name in after.disabledServers;
      if (was === is) continue;
      const d = after.disabledServers[name];
      this.log(is ? `server '${name}' disabled by ${d.by ?? by}` : `server '${name}' enabled by ${by}`);
      this.audit.emit({ event: is ? 'server_disabled' : 'server_enabled', server: name, principal: d?.by ?? by, reason: d?.reason ?? (is ? 'isolated by the operator' : 'enabled by the operator') });
      if (is) void this.isolate(name);
      else this.gw?.servers.get(name)?.upstream.reopen();
    }
    return ended;
  }

  private endRevokedSessions(before: IncidentData, after: IncidentData, by: string, reason?: string): number {
    const rb = before.revocations;
    const ra = after.revocations;
    const newAll = ra.all !== rb.all ? ra.all : undefined;
    const subjects = Object.keys(ra.subjects).filter((k) => ra.subjects[k] !== rb.subjects[k]);
    const sessions = Object.keys(ra.sessions).filter((k) => ra.sessions[k] !== rb.sessions[k]);
    if (!newAll && !subjects.length && !sessions.length) return 0;
    const hit = (s: Session) => Boolean(newAll) || subjects.includes(s.principal.subject) || sessions.includes(s.id);
    const victims = this.gw ? [...this.gw.sessions].filter(hit) : [];
    for (const s of victims) this.gw!.closeSession(s, 'revoked by the operator');
    const scope = newAll ? 'all' : [...subjects.map((x) => `subject:${x}`), ...sessions.map((x) => `session:${x}`)].join(', ');
    this.log(`revoked ${scope} (${victims.length} session(s) ended)`);
    this.audit.emit({ event: 'tokens_revoked', principal: by, decision: 'deny', reason: reason ?? `revoked ${scope}`, detail: { all: Boolean(newAll), subjects, sessions, sessionsEnded: victims.length, revokedAt: newAll ?? ra.subjects[subjects[0]] ?? ra.sessions[sessions[0]] } });
    return victims.length;
  }

  private async isolate(name: string): Promise<void> {
    const rt = this.gw?.servers.get(name);
    if (!rt) return;
    rt.catalog.invalidate();
    await rt.upstream.isolate('disabled by the operator').catch((err: Error) => this.log(`server '${name}': ${err.message}`));
  }
}
