/**
 * Tool-description poisoning scan: what a server says ABOUT its tools, prompts, resources and
 * resource templates, and about itself (its `instructions` and serverInfo), is read by the model
 * as instructions (Invariant Labs' tool poisoning, 2025), so it is scanned at registration and on
 * every change, before any of it reaches a client.
 *
 * Every human-or-model-readable string of a definition is collected with its JSON pointer:
 * title, description, annotations.title, and inside inputSchema/outputSchema every `description`,
 * `title`, string `default`/`examples`/`enum` value and property name (walked recursively,
 * bounded); for prompts, each argument's description and title; for a server, its
 * `instructions`; every string under `_meta` (bounded). Each string gets:
 *  1. one cheap code-point scan for what a reviewer cannot see: Unicode tag characters
 *     (U+E0000–E007F, "ASCII smuggling"), zero-width characters, bidi controls, ANSI/terminal
 *     escapes and other C0/C1 controls, and long whitespace padding that pushes text off-screen;
 *  2. one RE2.Set pass (poisoning-rules.ts) over the text with the invisible characters removed
 *     (so `ig\u200Bnore previous instructions` still matches), plus over any long base64 run
 *     decoded (bounded), since encoding is how an instruction hides from a reviewer;
 *  3. a name check against `otherTools`: a description naming another server's tool is the
 *     shadowing attack (it rewrites how that tool is used).
 * Names, URIs, icon sources and URL-valued `_meta` strings get step 1 only (they are not prose);
 * where those URLs point is metadata-urls.ts.
 *
 * Server instructions are instructions to the model BY DESIGN ("call get_me first", "before
 * creating a PR, read the template"): the rules that only say "this text addresses the model"
 * (INSTRUCTION_EXEMPT) do not apply to them; hidden tags, concealment, sensitive paths,
 * exfiltration, invisible characters and other servers' tools still do.
 */
import RE2 from 're2';
import { PATTERN_RULES, PATTERN_SET } from './poisoning-rules.ts';
import type { Finding, Severity } from './finding.ts';

export type DefinitionKind = 'tool' | 'prompt' | 'resource' | 'resourceTemplate' | 'instructions';

/** Rules that fire on honest server instructions, which address the model by nature. */
const INSTRUCTION_EXEMPT = new Set(['poisoning.address-model', 'poisoning.precondition', 'poisoning.invoke-other-tool', 'shadowing.modify-other-tools']);

export interface ScanContext {
  server: string;
  /** Names of tools offered by OTHER servers (plain and exposed `server__tool` forms). */
  otherTools: ReadonlySet<string>;
}

const MAX_STRINGS = 2000;
const MAX_DEPTH = 24;
const MAX_SCAN_CHARS = 64 * 1024;
const PADDING_RUN = 40;
const NEWLINE_RUN = 12;
const BASE64_RUN = /[A-Za-z0-9+/]{80,}={0,2}/g;
const HEX_RUN = /(?:[0-9a-fA-F]{2}){48,}/g;
const MAX_DECODES = 4;

interface Text {
  path: string;
  text: string;
  /** Names and URIs: only the invisible-character scan applies (they are not prose). */
  identifier?: boolean;
}

/** Every string of a definition the model or a reviewer reads, with its JSON pointer. */
export function collectStrings(kind: DefinitionKind, def: Record<string, unknown>): Text[] {
  const out: Text[] = [];
  const push = (path: string, v: unknown, identifier = false) => {
    if (typeof v === 'string' && v && out.length < MAX_STRINGS) out.push({ path, text: v.slice(0, MAX_SCAN_CHARS), identifier });
  };
  push('/name', def.name, true);
  push('/title', def.title);
  push('/description', def.description);
  if (kind === 'instructions') {
    push('/instructions', def.instructions);
    push('/websiteUrl', def.websiteUrl, true);
  }
  if (kind === 'resource' || kind === 'resourceTemplate') {
    push(kind === 'resource' ? '/uri' : '/uriTemplate', kind === 'resource' ? def.uri : def.uriTemplate, true);
    push('/mimeType', def.mimeType, true);
  }
  if (Array.isArray(def.icons)) def.icons.slice(0, 64).forEach((icon, i) => push(`/icons/${i}/src`, (icon as { src?: unknown } | null)?.src, true));
  walkMeta(def._meta, '/_meta', 0, push);
  const ann = def.annotations as Record<string, unknown> | undefined;
  if (ann && typeof ann === 'object') push('/annotations/title', ann.title);
  if (kind === 'tool') {
    walkSchema(def.inputSchema, '/inputSchema', 0, push);
    walkSchema(def.outputSchema, '/outputSchema', 0, push);
  }
  if (kind === 'prompt' && Array.isArray(def.arguments)) {
    def.arguments.slice(0, 256).forEach((a, i) => {
      if (!a || typeof a !== 'object') return;
      const arg = a as Record<string, unknown>;
      push(`/arguments/${i}/name`, arg.name, true);
      push(`/arguments/${i}/title`, arg.title);
      push(`/arguments/${i}/description`, arg.description);
    });
  }
  return out;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

function walkSchema(node: unknown, path: string, depth: number, push: (p: string, v: unknown, id?: boolean) => void): void {
  if (!node || typeof node !== 'object' || depth > MAX_DEPTH) return;
  if (Array.isArray(node)) {
    node.slice(0, 256).forEach((v, i) => walkSchema(v, `${path}/${i}`, depth + 1, push));
    return;
  }
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    const p = `${path}/${esc(k)}`;
    if (k === 'description' || k === 'title' || k === 'default' || k === '$comment') push(p, v);
    else if ((k === 'examples' || k === 'enum') && Array.isArray(v)) v.slice(0, 64).forEach((e, i) => push(`${p}/${i}`, e));
    else if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [prop, sub] of Object.entries(v as Record<string, unknown>)) {
        push(`${p}/${esc(prop)}`, prop, true);
        walkSchema(sub, `${p}/${esc(prop)}`, depth + 1, push);
      }
    } else if (v && typeof v === 'object') walkSchema(v, p, depth + 1, push);
  }
}

/** `_meta` strings: prose is scanned as prose; keys, URLs and data URIs are identifiers. */
function walkMeta(node: unknown, path: string, depth: number, push: (p: string, v: unknown, id?: boolean) => void): void {
  if (!node || typeof node !== 'object' || depth > MAX_DEPTH) return;
  for (const [k, v] of Object.entries(node as Record<string, unknown>).slice(0, 256)) {
    const p = `${path}/${esc(k)}`;
    push(p, k, true);
    if (typeof v === 'string') push(p, v, URL.canParse(v));
    else walkMeta(v, p, depth + 1, push);
  }
}

/** A short excerpt for the audit record: controls shown as \u escapes, never more than 80 chars. */
export function excerptOf(text: string, start: number, end: number): string {
  const from = Math.max(0, start - 20);
  const s = text.slice(from, Math.min(text.length, Math.max(end, start + 40), from + 80));
  return s.replace(/[\n\r\t]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|[\u{e0000}-\u{e007f}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

type Invisible = { rule: string; severity: Severity; at: number };

/** One pass over the code points; returns what it found and the text with invisibles removed. */
function scanChars(text: string): { found: Invisible[]; visible: string } {
  const found = new Map<string, Invisible>();
  const note = (rule: string, severity: Severity, at: number) => {
    if (!found.has(rule)) found.set(rule, { rule, severity, at });
  };
  let visible = '';
  let spaces = 0;
  let newlines = 0;
  let padAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    const wide = c > 0xffff;
    let keep = true;
    if (c >= 0xe0000 && c <= 0xe007f) {
      note('obfuscation.unicode-tags', 'critical', i);
      keep = false;
    } else if (c === 0x200b || c === 0x200c || c === 0x200d || c === 0x2060 || c === 0xfeff || c === 0x180e || c === 0x2061 || c === 0x2062 || c === 0x2063 || c === 0x2064) {
      note('obfuscation.zero-width', 'high', i);
      keep = false;
    } else if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) {
      note('obfuscation.bidi-control', 'high', i);
      keep = false;
    } else if (c === 0x1b || c === 0x9b) {
      note('obfuscation.ansi-escape', 'high', i);
      keep = false;
    } else if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || (c >= 0x80 && c < 0xa0)) {
      note('obfuscation.control-char', 'medium', i);
      keep = false;
    }
    // Padding: a long run of blanks (or blank lines) with more text after it hides that text.
    if (c === 0x20 || c === 0x09 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000) {
      if (spaces++ === 0 && newlines === 0) padAt = i;
    } else if (c === 0x0a || c === 0x0d) {
      if (c === 0x0a) newlines++;
      if (padAt < 0) padAt = i;
    } else if (keep) {
      if ((spaces >= PADDING_RUN || newlines >= NEWLINE_RUN) && padAt >= 0) note('obfuscation.whitespace-padding', 'high', padAt);
      spaces = 0;
      newlines = 0;
      padAt = -1;
    }
    if (keep) visible += wide ? String.fromCodePoint(c) : text[i];
    if (wide) i++;
  }
  return { found: [...found.values()], visible };
}

/** Long base64 and hex runs, decoded when they are mostly printable text (bounded). */
function decodedBlobs(text: string): string[] {
  const out: string[] = [];
  const runs = [...[...text.matchAll(HEX_RUN)].map((m) => [m[0], 'hex'] as const), ...[...text.matchAll(BASE64_RUN)].map((m) => [m[0], 'base64'] as const)];
  for (const [run, enc] of runs) {
    if (out.length >= MAX_DECODES) break;
    const s = Buffer.from(run.slice(0, 16384), enc).toString('utf8');
    let printable = 0;
    for (const ch of s) if (/[\p{L}\p{N}\p{P}\s]/u.test(ch)) printable++;
    if (s.length && printable / s.length > 0.9) out.push(s);
  }
  return out;
}

const single = new Map<number, RE2>();

/** Where rule `i` matched (only for hits, to quote it in the audit record). */
function locate(i: number, s: string): [number, number] | undefined {
  let re = single.get(i);
  if (!re) single.set(i, (re = new RE2(PATTERN_RULES[i].pattern, 'iu')));
  const m = re.exec(s);
  return m ? [m.index, m.index + m[0].length] : undefined;
}

/** A tool name specific enough that seeing it in prose means the tool (not the English word). */
function distinctive(name: string): boolean {
  return name.length >= 4 && /[_-]|[a-z][A-Z]/.test(name);
}

function otherToolPattern(ctx: ScanContext): RegExp | undefined {
  const names = [...ctx.otherTools].filter(distinctive).slice(0, 2000);
  if (!names.length) return undefined;
  const alt = names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return new RegExp(`(?<![\\w-])(?:${alt})(?![\\w-])`);
}

/**
 * Findings for one definition (tool, prompt, resource, resource template, server instructions). Synchronous; the cost is one
 * code-point loop and one RE2.Set match per string.
 */
export function scanDefinition(kind: DefinitionKind, def: Record<string, unknown>, ctx: ScanContext): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding) => {
    const key = `${f.rule}\u0000${f.path}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(f);
  };
  const others = otherToolPattern(ctx);
  for (const t of collectStrings(kind, def)) {
    const { found, visible } = scanChars(t.text);
    for (const f of found) add({ category: 'obfuscation', rule: f.rule, severity: f.severity, path: t.path, start: f.at, excerpt: excerptOf(t.text, f.at, f.at + 1) });
    if (t.identifier) continue;
    const candidates = [visible, ...decodedBlobs(visible)];
    candidates.forEach((s, n) => {
      for (const i of PATTERN_SET.match(s)) {
        const r = PATTERN_RULES[i];
        if (kind === 'instructions' && INSTRUCTION_EXEMPT.has(r.id)) continue;
        // A blob that decodes to an instruction is worse than either alone.
        const severity: Severity = n > 0 && r.severity !== 'critical' && r.category !== 'obfuscation' ? 'critical' : r.severity;
        const at = locate(i, s);
        add({ category: r.category, rule: n > 0 ? `${r.id}.encoded` : r.id, severity, path: t.path, ...(n === 0 && at && { start: at[0], end: at[1] }), excerpt: excerptOf(s, at?.[0] ?? 0, at?.[1] ?? 0) });
      }
    });
    const m = others?.exec(visible);
    if (m) add({ category: 'shadowing', rule: 'shadowing.names-other-tool', severity: 'high', path: t.path, start: m.index, end: m.index + m[0].length, excerpt: excerptOf(visible, m.index, m.index + m[0].length) });
  }
  return findings;
}
