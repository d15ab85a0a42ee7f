/**
 * The audit records of one pin verdict: `pin_drift` when a trusted definition changed,
 * `tool_poisoning_detected` and `tool_shadowing` for scan findings. Each is written once per
 * definition hash and state (a list re-read every second must not flood the log); `tool` names
 * the item for listed kinds and is absent for the per-server kinds (launch, instructions), whose
 * record says `detail.kind`.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { Pinning } from '../config/pinning-schema.ts';
import { maxSeverity, type Finding } from '../detect/finding.ts';
import { perServer, type PinKind } from './pin-definition.ts';
import type { Pin } from './pin-file.ts';

export type PinState = 'pinned' | 'flagged' | 'drifted' | 'pending' | 'revoked' | 'blocked' | 'unpinned';

export interface Verdict {
  visible: boolean;
  state: PinState;
  findings: Finding[];
}

export interface Item {
  part: Record<string, unknown>;
  hash: string;
}

const MAX_REMEMBERED = 10_000;

/** Findings as the audit record and the `observed` entry hold them (bounded, already sanitized). */
export const brief = (fs: Finding[]) => fs.slice(0, 20).map((f) => ({ category: f.category, rule: f.rule, severity: f.severity, path: f.path, excerpt: f.excerpt }));

export class PinRecorder {
  private readonly audited = new Set<string>();
  private readonly audit: AuditLog;
  private readonly log: (line: string) => void;

  constructor(audit: AuditLog, log: (line: string) => void) {
    this.audit = audit;
    this.log = log;
  }

  private once(id: string): boolean {
    if (this.audited.has(id)) return false;
    if (this.audited.size > MAX_REMEMBERED) this.audited.clear(); // bounded; at worst a definition is audited again
    this.audited.add(id);
    return true;
  }

  /** `pinned`: the trusted entry (for a drift). */
  record(s: { name: string; key: string; settings: Pinning }, kind: PinKind, name: string, it: Item, v: Verdict, pinned: Pin | undefined): void {
    const tool = perServer(kind) ? undefined : name;
    const id = (event: string) => `${event}\u0000${s.key}\u0000${kind}\u0000${name}\u0000${it.hash}\u0000${v.state}`;
    if (v.state === 'drifted' && pinned && this.once(id('pin_drift'))) {
      const what = kind === 'instructions' ? 'server instructions and serverInfo' : `${kind} '${name}'`;
      this.log(`pins: ${what} of server '${s.name}' changed since pinned: ${kind === 'instructions' ? 'withheld' : 'hidden'} until approved (portcullis pins diff ${s.key}${perServer(kind) ? ` --kind ${kind}` : `__${name}`})`);
      this.audit.emit({ event: 'pin_drift', server: s.name, tool, decision: 'deny', reason: `${kind} definition changed since it was pinned; ${kind === 'instructions' ? 'withheld from clients' : 'hidden'} until approved`, detail: { kind, key: s.key, pinned: pinned.hash, observed: it.hash, changed: changedFields(pinned.def, it.part) } });
    }
    const shadow = v.findings.filter((f) => f.category === 'shadowing');
    const poison = v.findings.filter((f) => f.category !== 'shadowing');
    const action = (fs: Finding[]) => (fs.some((f) => s.settings.poisoning.actions[f.severity] === 'block') ? (v.state === 'blocked' ? 'block' : 'approved') : 'flag');
    if (poison.length && this.once(id('tool_poisoning_detected'))) {
      this.audit.emit({ event: 'tool_poisoning_detected', server: s.name, tool, decision: v.visible ? 'allow' : 'deny', reason: `${poison.length} poisoning finding(s) in ${kind} '${name}', worst ${maxSeverity(poison)}: ${action(poison)}`, severity: maxSeverity(poison), detail: { kind, key: s.key, action: action(poison), findings: brief(poison), hash: it.hash } });
    }
    if (shadow.length && this.once(id('tool_shadowing'))) {
      this.audit.emit({ event: 'tool_shadowing', server: s.name, tool, decision: v.visible ? 'allow' : 'deny', reason: `${kind} '${name}' shadows or names another server's tool: ${action(shadow)}`, severity: maxSeverity(shadow), detail: { kind, key: s.key, action: action(shadow), findings: brief(shadow) } });
    }
  }
}

/** Top-level fields that differ (the audit says what changed; `pins diff` shows how). */
export function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).sort();
}
