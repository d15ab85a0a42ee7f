/**
 * What a pin covers, and its hash: the canonical JSON (RFC 8785 style, audit/canonical-json.ts)
 * of exactly the fields the model reads or that decide how a call is made, so that any change
 * to them — a new sentence in a description, a new parameter, a relaxed annotation — is drift,
 * and nothing else (key order, `_meta`, pagination) is.
 *
 * The launch pin is the server's start as configured: a rewritten command in a client's config
 * file is the MCPoison attack (CVE-2025-54136: Cursor trusted an approved MCP entry by name, so a
 * later edit of its command ran without a new approval). Environment VALUES are not pinned
 * (secrets rotate, and must not be written to the pin file); their names are.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { ResolvedServer } from '../config/load.ts';

export const PIN_KINDS = ['launch', 'tool', 'prompt', 'resourceTemplate'] as const;
export type PinKind = (typeof PIN_KINDS)[number];
/** The launch pin's item name (one per server). */
export const LAUNCH = '*';

const FIELDS: Record<Exclude<PinKind, 'launch'>, readonly string[]> = {
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompt: ['name', 'title', 'description', 'arguments'],
  resourceTemplate: ['uriTemplate', 'name', 'title', 'description', 'mimeType', 'annotations'],
};

/** The pinned part of a definition. */
export function pinnedPart(kind: Exclude<PinKind, 'launch'>, def: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS[kind]) if (def[f] !== undefined) out[f] = def[f];
  return out;
}

export function launchPart(s: Pick<ResolvedServer, 'command' | 'args' | 'env' | 'cwd' | 'url' | 'headers'>): Record<string, unknown> {
  if (s.url) return { url: s.url, headerNames: Object.keys(s.headers ?? {}).sort() };
  return { command: s.command, args: s.args ?? [], envNames: Object.keys(s.env ?? {}).sort(), ...(s.cwd !== undefined && { cwd: s.cwd }) };
}

export function pinHash(part: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(part)).digest('hex')}`;
}

/** The name a definition is pinned under. */
export function itemName(kind: Exclude<PinKind, 'launch'>, def: Record<string, unknown>): string | undefined {
  const v = kind === 'resourceTemplate' ? def.uriTemplate : def.name;
  return typeof v === 'string' && v ? v : undefined;
}
