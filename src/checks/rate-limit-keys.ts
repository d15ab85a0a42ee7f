/**
 * Which buckets a call takes a token from, and under which store keys.
 *
 * The keys are the contract with the StateStore: a shared store (Redis, for several gateways)
 * holds the same keys, so a principal's and a server's budget are the same on every replica
 * (session keys are naturally per gateway). Order is narrowest first — session and tool,
 * principal and tool, principal, server — and the first refusal stops the walk: a caller that
 * hammers its own bucket spends nothing from the buckets it shares with others.
 *
 * A principal is its subject, whatever the credential kind (tool rules name subjects the same
 * way). An anonymous caller has no subject worth keying on — every anonymous caller would share
 * one budget and one noisy client could exhaust it for all — so it is keyed by its network address
 * (port dropped), like a 2026-07-28 request's per-session bucket.
 */
import type { Security } from '../config/schema.ts';
import type { Session } from '../gateway/session.ts';
import type { Target } from '../pipeline/types.ts';
import type { RateLimitConfig } from './rate-limit.ts';

export interface Bucket {
  key: string;
  limits: RateLimitConfig;
  /** The configuration path that set it, for the audit record. */
  rule: string;
  /** For the audit reason: what the bucket counts. */
  scope: string;
}

const peer = (s: Session): string => s.connection.replace(/:\d+$/, '');

/** The principal a per-principal bucket is keyed by. */
export function principalKey(s: Session): string {
  const p = s.principal;
  return p.method === 'anonymous' ? `anonymous@${peer(s)}` : p.subject;
}

export function bucketsFor(s: Session, t: Target, method: string, cfg: Security['rateLimiting']): Bucket[] {
  const thing = `${t.kind}:${t.server.name}/${t.name ?? method}`;
  // A 2026-07-28 request is a session of its own: keyed by session it would get a fresh bucket
  // every time. Its bucket is the caller's: the principal at its network peer.
  const who = s.stateless ? `p:${s.principal.subject}@${peer(s)}` : `s:${s.id}`;
  const out: Bucket[] = [{ key: `${who}|${thing}`, limits: cfg, rule: 'rateLimiting', scope: `${t.kind} '${t.name ?? method}' in this session` }];
  const keyed = (rule: 'perPrincipalTool' | 'perPrincipal' | 'perServer', key: string, scope: string) => {
    const b = cfg[rule];
    if (b) out.push({ key, limits: { enabled: true, requestsPerMinute: b.requestsPerMinute, burstSize: b.burstSize, cooldownSeconds: b.cooldownSeconds ?? cfg.cooldownSeconds }, rule: `rateLimiting.${rule}`, scope });
  };
  const principal = principalKey(s);
  keyed('perPrincipalTool', `pt:${principal}|${thing}`, `${t.kind} '${t.name ?? method}' of principal '${principal}'`);
  keyed('perPrincipal', `pr:${principal}`, `principal '${principal}'`);
  keyed('perServer', `sv:${t.server.name}`, `server '${t.server.name}'`);
  return out;
}
