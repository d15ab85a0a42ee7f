/**
 * The pin files. One shape for both:
 * - the state file `mcp.state.dir`/pins.json: the pins trusted on first use (tofu mode) and what
 *   the gateways OBSERVED that is not trusted (drifted, pending, blocked), with the definition,
 *   so `portcullis pins diff` can show the change and `pins approve` can accept it without
 *   talking to the server;
 * - the lockfile (lockfile mode): only `servers`, written by `pins lock` / `pins approve`, meant
 *   to be reviewed and committed.
 * Every process that shares them (gateways, the CLI) writes under the lock, atomically
 * (util/locked-json-file.ts), and gateways poll them for changes.
 *
 * A file that exists but cannot be parsed is an error: not knowing what is trusted must not mean
 * trusting everything again.
 */
import { z } from 'zod';
import { readTextIfExists, StateFileError, withFileLock, writeFileAtomic } from '../util/locked-json-file.ts';
import { PIN_KINDS, type PinKind } from './pin-definition.ts';

export const PINS_FILE = 'pins.json';
const MAX_ITEMS = 10_000;

const findingSchema = z.strictObject({
  category: z.string(),
  rule: z.string(),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  path: z.string().optional(),
  excerpt: z.string().optional(),
});

const pinSchema = z.strictObject({
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  def: z.record(z.string(), z.unknown()),
  pinnedAt: z.string(),
  /** first-use: trusted because it was the first seen; operator: approved by `pins approve` (findings accepted). */
  origin: z.enum(['first-use', 'operator']),
  by: z.string().optional(),
  /** Which fields the hash covers (pin-definition.ts PIN_VERSION); absent: a pin from before icons and `_meta` were. */
  v: z.number().int().positive().optional(),
  revoked: z.strictObject({ at: z.string(), by: z.string().optional(), reason: z.string().optional() }).optional(),
});

const observedSchema = z.strictObject({
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  def: z.record(z.string(), z.unknown()),
  seenAt: z.string(),
  state: z.enum(['drifted', 'pending', 'blocked', 'revoked']),
  findings: z.array(findingSchema).max(200).default([]),
});

const byKind = <T extends z.ZodType>(item: T) => z.partialRecord(z.enum(PIN_KINDS), z.record(z.string(), item));

const fileSchema = z.strictObject({
  version: z.literal(1),
  servers: z.record(z.string(), byKind(pinSchema)).default({}),
  observed: z.record(z.string(), byKind(observedSchema)).default({}),
});

export type Pin = z.infer<typeof pinSchema>;
export type Observed = z.infer<typeof observedSchema>;
export type PinFileData = z.infer<typeof fileSchema>;
export type PinFinding = z.infer<typeof findingSchema>;

export const emptyPins = (): PinFileData => ({ version: 1, servers: {}, observed: {} });

export function readPinFile(path: string): PinFileData {
  const text = readTextIfExists(path, 'pin file');
  return text === undefined ? emptyPins() : parsePins(text, path);
}

/** The pins from their JSON text (`where` names the file or the Redis key in the error). */
export function parsePins(text: string, where: string): PinFileData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StateFileError(`${where}: the pin file is not valid JSON; fix: repair it (or restore it from version control); removing it trusts every definition again`);
  }
  const r = fileSchema.safeParse(raw);
  if (!r.success) throw new StateFileError(`${where}: the pin file is malformed (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message}); fix: repair or restore it`);
  return r.data;
}

/** The pins after `mutate`, checked (at most MAX_ITEMS pins, the schema); undefined when `mutate` returns false. */
export function mutatePins(d: PinFileData, mutate: (d: PinFileData) => boolean | void, where: string): PinFileData | undefined {
  const copy = structuredClone(d);
  if (mutate(copy) === false) return undefined;
  let n = 0;
  for (const s of Object.values(copy.servers)) for (const k of PIN_KINDS) n += Object.keys(s[k] ?? {}).length;
  if (n > MAX_ITEMS) throw new StateFileError(`${where}: more than ${MAX_ITEMS} pins; fix: remove servers that no longer exist (portcullis pins revoke)`);
  return fileSchema.parse(copy);
}

/** Read-modify-write under the lock; returns the new contents. `mutate` returns false to skip the write. */
export function updatePinFile(path: string, mutate: (d: PinFileData) => boolean | void): PinFileData {
  return withFileLock(path, 'pin file', () => {
    const d = readPinFile(path);
    const next = mutatePins(d, mutate, path);
    if (!next) return d;
    writeFileAtomic(path, JSON.stringify(next, null, 2) + '\n');
    return next;
  });
}

export function getEntry<T>(tree: Record<string, Partial<Record<PinKind, Record<string, T>>>>, server: string, kind: PinKind, name: string): T | undefined {
  const m = tree[server]?.[kind];
  return m && Object.hasOwn(m, name) ? m[name] : undefined;
}

export function setEntry<T>(tree: Record<string, Partial<Record<PinKind, Record<string, T>>>>, server: string, kind: PinKind, name: string, v: T | undefined): void {
  const s = (tree[server] ??= {});
  const m = (s[kind] ??= {});
  if (v === undefined) {
    delete m[name];
    if (!Object.keys(m).length) delete s[kind];
    if (!Object.keys(s).length) delete tree[server];
  } else Object.defineProperty(m, name, { value: v, enumerable: true, writable: true, configurable: true }); // a tool named __proto__ stays data
}
