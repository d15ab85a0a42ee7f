/**
 * The operator's pin operations — list, diff, approve, revoke — on the pin files, as one set of
 * functions for every operator tool: `portcullis pins` (src/cli/pins.ts) and the console (src/monitor/).
 * They read and write the pin stores only (pin-store.ts: the files, or Redis with
 * `mcp.state.url`); running gateways pick a change up within a second, audit it
 * (`pin_approved`, `pin_revoked`) and tell their clients to list again.
 */
import { PIN_KINDS, PIN_VERSION, type PinKind } from './pin-definition.ts';
import { definitionDiff } from './pin-diff.ts';
import { getEntry, setEntry, type PinFileData, type PinFinding } from './pin-file.ts';
import type { PinStores } from './pin-store.ts';
import { updatePinFile } from './pin-file.ts';

/** Which pins: a server key, optionally one name, optionally one kind. */
export interface PinTarget {
  key?: string;
  name?: string;
  kind?: PinKind;
}

export interface PinRow {
  key: string;
  kind: PinKind;
  name: string;
}

export interface PinListing {
  server: string;
  kind: PinKind;
  name: string;
  state: string;
  origin?: string;
  pinnedAt?: string;
  findings: PinFinding[];
}

export interface PinDiff {
  server: string;
  kind: PinKind;
  name: string;
  state: string;
  seenAt: string;
  pinnedHash?: string;
  observedHash: string;
  lines: string[];
  findings: PinFinding[];
}

/** `SERVER` or `SERVER__NAME`, and an optional kind. */
export function parsePinTarget(arg: string | undefined, kind: string | undefined): PinTarget {
  if (kind !== undefined && !(PIN_KINDS as readonly string[]).includes(kind)) throw new Error(`kind: expected one of ${PIN_KINDS.join(', ')}`);
  if (!arg) return { kind: kind as PinKind | undefined };
  const i = arg.indexOf('__');
  return i > 0 ? { key: arg.slice(0, i), name: arg.slice(i + 2), kind: kind as PinKind | undefined } : { key: arg, kind: kind as PinKind | undefined };
}

async function read(p: PinStores): Promise<{ state: PinFileData; trust: PinFileData }> {
  const state = await p.state.read();
  return { state, trust: p.trust === p.state ? state : await p.trust.read() };
}

function rows(d: Pick<PinFileData, 'servers' | 'observed'>, t: PinTarget): PinRow[] {
  const out = new Map<string, PinRow>();
  for (const tree of [d.servers, d.observed] as Record<string, Partial<Record<PinKind, Record<string, unknown>>>>[]) {
    for (const [key, kinds] of Object.entries(tree)) {
      if (t.key && key !== t.key) continue;
      for (const kind of PIN_KINDS) {
        if (t.kind && kind !== t.kind) continue;
        for (const name of Object.keys(kinds[kind] ?? {})) if (!t.name || name === t.name) out.set(`${key}\u0000${kind}\u0000${name}`, { key, kind, name });
      }
    }
  }
  return [...out.values()].sort((a, b) => `${a.key}${a.kind}${a.name}`.localeCompare(`${b.key}${b.kind}${b.name}`));
}

export async function listPins(p: PinStores, t: PinTarget): Promise<PinListing[]> {
  const { state, trust } = await read(p);
  return rows({ servers: trust.servers, observed: state.observed }, t).map((r) => {
    const pin = getEntry(trust.servers, r.key, r.kind, r.name);
    const obs = getEntry(state.observed, r.key, r.kind, r.name);
    return { server: r.key, kind: r.kind, name: r.name, state: obs?.state ?? (pin?.revoked ? 'revoked' : 'pinned'), origin: pin?.origin, pinnedAt: pin?.pinnedAt, findings: obs?.findings ?? [] };
  });
}

/** What changed for every pin under the target that waits for a decision (drifted, pending, blocked). */
export async function diffPins(p: PinStores, t: PinTarget): Promise<PinDiff[]> {
  const { state, trust } = await read(p);
  const out: PinDiff[] = [];
  for (const r of rows({ servers: trust.servers, observed: state.observed }, t)) {
    const obs = getEntry(state.observed, r.key, r.kind, r.name);
    if (!obs) continue;
    const pin = getEntry(trust.servers, r.key, r.kind, r.name);
    out.push({ server: r.key, kind: r.kind, name: r.name, state: obs.state, seenAt: obs.seenAt, pinnedHash: pin?.hash, observedHash: obs.hash, lines: definitionDiff(pin?.def, obs.def), findings: obs.findings });
  }
  return out;
}

/**
 * Approve (trust what the server now sends, or restore a revoked pin) or revoke (hide until
 * approved again); returns what changed, `server kind name` each. Nothing: an empty list.
 */
export async function decidePins(p: PinStores, t: PinTarget, action: 'approve' | 'revoke', who: { by: string; reason?: string }): Promise<string[]> {
  const { state } = await read(p);
  const now = new Date().toISOString();
  let done: string[] = [];
  await p.trust.update((d) => {
    done = []; // a shared store may run this again on a conflict
    for (const r of rows({ servers: d.servers, observed: state.observed }, t)) {
      const obs = getEntry(state.observed, r.key, r.kind, r.name);
      const pin = getEntry(d.servers, r.key, r.kind, r.name);
      if (action === 'approve' && obs) setEntry(d.servers, r.key, r.kind, r.name, { hash: obs.hash, def: obs.def, pinnedAt: now, origin: 'operator', by: who.by, v: PIN_VERSION });
      else if (action === 'approve' && pin?.revoked) setEntry(d.servers, r.key, r.kind, r.name, { ...pin, revoked: undefined, origin: 'operator', pinnedAt: now, by: who.by });
      else if (action === 'revoke' && pin && !pin.revoked) setEntry(d.servers, r.key, r.kind, r.name, { ...pin, revoked: { at: now, by: who.by, reason: who.reason } });
      else continue;
      done.push(`${r.key} ${r.kind} ${r.name}`);
    }
    return done.length > 0;
  });
  // Approved: no longer waiting. (A gateway re-observes anything still untrusted.)
  if (action === 'approve' && done.length) {
    await p.state.update((d) => {
      for (const r of rows({ servers: {}, observed: state.observed }, t)) setEntry(d.observed, r.key, r.kind, r.name, undefined);
    });
  }
  return done;
}

/** Writes the lockfile from the trusted pins; returns how many rows it holds. */
export async function lockPins(p: PinStores, out: string): Promise<number> {
  const { state, trust } = await read(p);
  updatePinFile(out, (d) => {
    d.servers = structuredClone(trust.servers);
    d.observed = {};
  });
  return rows({ servers: trust.servers, observed: state.observed }, {}).length;
}
