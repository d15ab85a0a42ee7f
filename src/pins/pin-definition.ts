/**
 * What a pin covers, and its hash: the canonical JSON (RFC 8785 style, audit/canonical-json.ts)
 * of exactly the fields the model reads, the user sees, or that decide how a call is made, so
 * that any change to them — a new sentence in a description, a new parameter, a relaxed
 * annotation, an icon or an MCP Apps UI (`_meta.ui.resourceUri`) moved to another origin — is
 * drift, and nothing else (key order, pagination, a resource's size or lastModified) is.
 *
 * Per server, besides its tools, prompts, resources and resource templates:
 * - the launch pin is the server's start as configured: a rewritten command in a client's config
 *   file is the MCPoison attack (CVE-2025-54136: Cursor trusted an approved MCP entry by name, so
 *   a later edit of its command ran without a new approval). Environment VALUES are not pinned
 *   (secrets rotate, and must not be written to the pin file); their names are;
 * - the instructions pin is what the server says about itself at `initialize`: its
 *   `instructions` (read by the model as a system prompt) and the `serverInfo` a client shows
 *   the user (name, title, description, icons, websiteUrl; not the version, which every upgrade
 *   changes).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { ResolvedServer } from '../config/load.ts';

export const PIN_KINDS = ['launch', 'instructions', 'tool', 'prompt', 'resource', 'resourceTemplate'] as const;
export type PinKind = (typeof PIN_KINDS)[number];
/** A kind listed by the server (one pin per item), as opposed to one pin per server. */
export type ListedKind = Exclude<PinKind, 'launch' | 'instructions'>;
export type ItemKind = Exclude<PinKind, 'launch'>;
/** The item name of the kinds pinned once per server (launch, instructions). */
export const SERVER_ITEM = '*';
export const perServer = (kind: PinKind): boolean => kind === 'launch' || kind === 'instructions';

/**
 * Which fields a hash covers. Pins written before icons, `_meta` and `execution` were covered
 * carry no `v`; their hash is checked against LEGACY_FIELDS (pin-guard.ts upgrades them).
 */
export const PIN_VERSION = 2;

const FIELDS: Record<ItemKind, readonly string[]> = {
  instructions: ['instructions', 'name', 'title', 'description', 'icons', 'websiteUrl'],
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations', 'execution', 'icons', '_meta'],
  prompt: ['name', 'title', 'description', 'arguments', 'icons', '_meta'],
  resource: ['uri', 'name', 'title', 'description', 'mimeType', 'annotations', 'icons', '_meta'],
  resourceTemplate: ['uriTemplate', 'name', 'title', 'description', 'mimeType', 'annotations', 'icons', '_meta'],
};

const LEGACY_FIELDS: Partial<Record<ItemKind, readonly string[]>> = {
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompt: ['name', 'title', 'description', 'arguments'],
  resourceTemplate: ['uriTemplate', 'name', 'title', 'description', 'mimeType', 'annotations'],
};

function pick(fields: readonly string[], def: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (def[f] !== undefined) out[f] = def[f];
  return out;
}

/** The pinned part of a definition (for `instructions`: of the flat shape instructionsDef builds). */
export function pinnedPart(kind: ItemKind, def: Record<string, unknown>): Record<string, unknown> {
  const out = pick(FIELDS[kind], def);
  // A resource's `annotations.lastModified` changes with its content, not with what it is.
  if ((kind === 'resource' || kind === 'resourceTemplate') && out.annotations && typeof out.annotations === 'object' && 'lastModified' in out.annotations) {
    const { lastModified: _changes, ...rest } = out.annotations as Record<string, unknown>;
    out.annotations = rest;
  }
  return out;
}

/** The part a pin without `v` hashed, when the kind existed then. */
export function legacyPart(kind: ItemKind, def: Record<string, unknown>): Record<string, unknown> | undefined {
  const fields = LEGACY_FIELDS[kind];
  return fields && pick(fields, def);
}

/** What a server's `initialize` result says about it, flat, for the instructions pin and scan. */
export function instructionsDef(init: { serverInfo?: Record<string, unknown>; instructions?: unknown }): Record<string, unknown> {
  const info = init.serverInfo && typeof init.serverInfo === 'object' ? init.serverInfo : {};
  return { ...pick(['name', 'title', 'description', 'icons', 'websiteUrl'], info), ...(init.instructions !== undefined && { instructions: init.instructions }) };
}

export function launchPart(s: Pick<ResolvedServer, 'command' | 'args' | 'env' | 'cwd' | 'url' | 'headers'>): Record<string, unknown> {
  if (s.url) return { url: s.url, headerNames: Object.keys(s.headers ?? {}).sort() };
  return { command: s.command, args: s.args ?? [], envNames: Object.keys(s.env ?? {}).sort(), ...(s.cwd !== undefined && { cwd: s.cwd }) };
}

export function pinHash(part: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(part)).digest('hex')}`;
}

const launchHashes = new WeakMap<Record<string, unknown>, string>();

/**
 * The launch pin is checked before calls that reach the server; a launch (launchPart, built once
 * per server by pins-from-config.ts) does not change, so its hash is computed once.
 */
export function launchHash(launch: Record<string, unknown>): string {
  let hash = launchHashes.get(launch);
  if (hash === undefined) launchHashes.set(launch, (hash = pinHash(launch)));
  return hash;
}

const NAME_FIELD: Record<ListedKind, string> = { tool: 'name', prompt: 'name', resource: 'uri', resourceTemplate: 'uriTemplate' };

/** The name a listed definition is pinned under. */
export function itemName(kind: ListedKind, def: Record<string, unknown>): string | undefined {
  const v = def[NAME_FIELD[kind]];
  return typeof v === 'string' && v ? v : undefined;
}
