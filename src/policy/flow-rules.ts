/**
 * Session flow rules: the "lethal trifecta" (private data + untrusted content + a way out) and the
 * GitHub MCP toxic flow (Invariant Labs, 2025), where an agent that has read a private repository
 * is steered by an issue's text into publishing it. No single call is wrong; the sequence is.
 *
 * Tools carry labels (`toolLabels: {"read_*": [private-data], "create_issue": [external-sink]}`),
 * and so do resources and prompts (`resourceLabels`, `promptLabels`): the private document a tool
 * returns can as well be read with `resources/read`, or arrive embedded in a prompt. A successful
 * result of a labeled tool, resource read or prompt taints the caller's session with its labels;
 * a flow rule (`{name, after: [private-data], deny: [external-sink]}`) then refuses whatever
 * carries a `deny` label for the rest of the session. Taint is per session (stateful) or, for
 * stateless 2026-07-28 requests that have no session, per principal and network peer.
 *
 * Label patterns match like deny patterns (name-match.ts: any spelling, case and Unicode form
 * folded, URIs normalized): a missed label is a missed taint or a missed sink, so they err wide.
 */
import { compileNamePattern, nameSubject, type NameKind, type NamePattern, type NameRef } from './name-match.ts';

export interface FlowRule {
  name: string;
  after: readonly string[];
  deny: readonly string[];
}

export class NameLabels {
  private readonly entries: { pattern: NamePattern; labels: readonly string[] }[];

  constructor(kind: NameKind, map: Readonly<Record<string, readonly string[]>>) {
    this.entries = Object.entries(map).map(([pattern, labels]) => ({ pattern: compileNamePattern(kind, pattern), labels }));
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Labels of one tool, prompt or resource: the union over matching patterns. */
  labelsOf(ref: NameRef): string[] {
    if (this.entries.length === 0) return [];
    const subject = nameSubject(ref);
    const out = new Set<string>();
    for (const e of this.entries) if (e.pattern.folded(subject)) for (const l of e.labels) out.add(l);
    return [...out];
  }
}

export interface FlowViolation {
  rule: string;
  reason: string;
}

/** The first rule this call breaks, given the session's taint and the labels of what it calls (`kind`). */
export function violatedFlowRule(rules: readonly FlowRule[], taint: ReadonlySet<string>, labels: readonly string[], kind: NameKind = 'tool'): FlowViolation | undefined {
  if (taint.size === 0 || labels.length === 0) return undefined;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    const seen = r.after.find((l) => taint.has(l));
    const sink = r.deny.find((l) => labels.includes(l));
    if (seen && sink) return { rule: `flowRules[${i}]: ${r.name}`, reason: `a ${kind} labeled '${sink}' after a result labeled '${seen}' in this session` };
  }
  return undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * Where session taint lives: in this process (FlowTracker) or shared by every replica
 * (state/redis-flow-store.ts). Reading a key's labels keeps it alive; a key idle for the session
 * idle time is forgotten. A shared store that cannot answer throws `STATE_UNAVAILABLE`: a taint
 * that cannot be read must not read as "clean".
 */
export interface FlowStore {
  labels(key: string): ReadonlySet<string> | Promise<ReadonlySet<string>>;
  /** Adds `labels` to the taint of `key` (a union: nothing is ever untainted but by expiry). */
  taint(key: string, labels: readonly string[]): void | Promise<void>;
  forget(key: string): void | Promise<void>;
}

/**
 * Taint per session key in this process, bounded: keys come from sessions and principals, so the map is capped
 * and entries expire after `ttlMs` without use. Dropping an entry forgets a taint, so the cap is
 * generous and only the least recently used go.
 */
export class FlowTracker implements FlowStore {
  private readonly entries = new Map<string, { labels: Set<string>; touchedMs: number }>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(opts: { ttlMs: number; maxEntries?: number }) {
    this.ttlMs = opts.ttlMs;
    this.max = opts.maxEntries ?? 100_000;
  }

  labels(key: string, now = Date.now()): ReadonlySet<string> {
    const e = this.entries.get(key);
    if (!e) return EMPTY;
    if (now - e.touchedMs > this.ttlMs) {
      this.entries.delete(key);
      return EMPTY;
    }
    e.touchedMs = now; // an active session keeps its taint; only an idle one expires
    return e.labels;
  }

  taint(key: string, labels: readonly string[], now = Date.now()): void {
    if (labels.length === 0) return;
    const e = this.entries.get(key) ?? { labels: new Set<string>(), touchedMs: now };
    for (const l of labels) e.labels.add(l);
    e.touchedMs = now;
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, e);
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
