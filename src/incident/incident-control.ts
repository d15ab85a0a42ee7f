/**
 * Incident response acting on a running gateway: lockdown, revocation, server isolation.
 *
 * Every change goes through the incident state (incident-state.ts: a file, or Redis shared by
 * every replica, redis-incident-state.ts), whether it came from this gateway's admin API or from
 * another process (the CLI without an admin listener, another gateway sharing the state); each
 * gateway applies what changed when it sees it, within a second, and audits it. The checks read the in-memory view on every call, so the switch
 * costs nothing while it is off.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { Gateway } from '../gateway/gateway.ts';
import type { Principal, Session } from '../gateway/session.ts';
import { compileNamePattern, nameSubject, type NamePattern, type NameRef } from '../policy/name-match.ts';
import type { IncidentData, IncidentStore } from './incident-state.ts';
import type { IncidentView } from './incident-view.ts';
import { applyRevoke, revocationChanges, revocationOf, sessionHit, type RevokeRequest } from './revocations.ts';

export { NO_INCIDENT, type IncidentView } from './incident-view.ts';

export type { RevokeRequest };

export class IncidentControl implements IncidentView {
  readonly state: IncidentStore;
  private readonly audit: AuditLog;
  private readonly log: (line: string) => void;
  private readonly clock: () => Date;
  private gw: Gateway | undefined;
  private allowList: NamePattern[] = [];

  constructor(state: IncidentStore, opts: { audit: AuditLog; log: (line: string) => void; clock?: () => Date }) {
    this.state = state;
    this.audit = opts.audit;
    this.log = opts.log;
    this.clock = opts.clock ?? (() => new Date());
    const s = this.available();
    if (s) this.compile(s);
  }

  /** The state, or undefined while a shared store cannot vouch for it (logged by the store). */
  private available(): Readonly<IncidentData> | undefined {
    try {
      return this.state.current;
    } catch {
      return undefined;
    }
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

  revocationOf(p: Principal): { at: string; scope: string } | undefined {
    return revocationOf(this.state.current.revocations, p);
  }

  isSessionRevoked(id: string): boolean {
    return Object.hasOwn(this.state.current.revocations.sessions, id);
  }

  /** Binds to the gateway: applies the state found at start, then follows the file. */
  attach(gw: Gateway): void {
    this.gw = gw;
    const s = this.available();
    // A shared store not reachable at start applies its state on its first read (a change from none).
    if (!s) this.log(`incident state (${this.state.where}) not readable yet: calls are refused until it is`);
    if (s) for (const name of Object.keys(s.disabledServers)) void this.isolate(name);
    if (s?.lockdown.enabled) {
      this.log(`emergency lockdown is in force (since ${s.lockdown.since ?? '?'}): tool calls are refused except ${JSON.stringify(s.lockdown.allow)}`);
      this.audit.emit({ event: 'lockdown_enabled', decision: 'deny', reason: `in force at start: ${s.lockdown.reason ?? 'no reason given'}`, detail: { allow: s.lockdown.allow, since: s.lockdown.since, by: s.lockdown.by, atStart: true } });
    }
    this.state.watch((before, after) => this.apply(before, after, 'state file'));
  }

  detach(): void {
    this.state.stop();
  }

  async setLockdown(on: boolean, opts: { allow?: string[]; by: string; reason?: string }): Promise<IncidentData> {
    const { before, after } = await this.state.update((s) => {
      s.lockdown = on ? { enabled: true, allow: opts.allow ?? [], since: this.clock().toISOString(), by: opts.by, reason: opts.reason } : { enabled: false, allow: [] };
    });
    this.apply(before, after, opts.by);
    return after;
  }

  async revoke(req: RevokeRequest, opts: { by: string; reason?: string }): Promise<{ sessionsEnded: number; state: IncidentData }> {
    const now = this.clock().toISOString();
    const { before, after } = await this.state.update((s) => applyRevoke(s, req, now));
    return { sessionsEnded: this.apply(before, after, opts.by, opts.reason), state: after };
  }

  async setServer(name: string, disabled: boolean, opts: { by: string; reason?: string }): Promise<IncidentData> {
    const { before, after } = await this.state.update((s) => {
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
    const c = revocationChanges(before.revocations, after.revocations);
    // Credentials are named `api-key:ID` / `certificate:FP` in a list: a detail key that says
    // "key" would be redacted by the audit (audit/redact.ts).
    const ids = (x: { apiKeys: string[]; certificates: string[] }) => [...x.apiKeys.map((k) => `api-key:${k}`), ...x.certificates.map((f) => `certificate:${f}`)];
    const back = c.reinstated;
    const backIds = ids(back);
    if (back.subjects.length || backIds.length) {
      const what = [...back.subjects.map((x) => `subject:${x}`), ...backIds].join(', ');
      this.log(`reinstated ${what} by ${by}`);
      this.audit.emit({ event: 'credentials_reinstated', principal: by, decision: 'allow', reason: reason ?? `reinstated ${what}`, detail: { subjects: back.subjects, reinstatedIds: backIds } });
    }
    const revokedIds = ids(c);
    if (!c.all && !c.subjects.length && !c.sessions.length && !revokedIds.length) return 0;
    const victims = this.gw ? [...this.gw.sessions].filter((s: Session) => sessionHit(c, s.id, s.principal)) : [];
    for (const s of victims) this.gw!.closeSession(s, 'revoked by the operator');
    const scope = c.all ? 'all' : [...c.subjects.map((x) => `subject:${x}`), ...c.sessions.map((x) => `session:${x}`), ...revokedIds].join(', ');
    this.log(`revoked ${scope} (${victims.length} session(s) ended)`);
    const ra = after.revocations;
    const revokedAt = c.all ?? [ra.subjects[c.subjects[0]], ra.sessions[c.sessions[0]], ra.apiKeys[c.apiKeys[0]], ra.certificates[c.certificates[0]]].find(Boolean);
    const detail = { all: Boolean(c.all), subjects: c.subjects, sessions: c.sessions, revokedIds, sessionsEnded: victims.length, revokedAt };
    this.audit.emit({ event: 'tokens_revoked', principal: by, decision: 'deny', reason: reason ?? `revoked ${scope}`, detail });
    return victims.length;
  }

  private async isolate(name: string): Promise<void> {
    const rt = this.gw?.servers.get(name);
    if (!rt) return;
    rt.catalog.invalidate();
    await rt.upstream.isolate('disabled by the operator').catch((err: Error) => this.log(`server '${name}': ${err.message}`));
  }
}
