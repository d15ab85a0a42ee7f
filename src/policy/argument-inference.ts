/**
 * Which argument a constraint applies to, when the rule does not say (`argument:`).
 *
 * From the tool's `inputSchema` (top-level properties), by format and then by name. A name is
 * split into words (`targetFile` and `target_file` are both `target file`) and its LAST word
 * decides, so `source_path`, `outputDir` and `file` are paths but `path_style` is not:
 *
 *   url       `format: uri | url | iri`, or a last word in: url urls uri uris endpoint href link
 *   path      a last word in: path paths file files filename filepath dir directory folder
 *             destination dest source src target location
 *   sql       a last word in: sql query statement
 *   database  a last word in: database db dbname catalog
 *
 * Without a schema (`policy explain`, `policy test`) the call's own argument names are used.
 * A rule with a constraint that finds no argument in the tool's schema refuses the call: a
 * misnamed argument must not switch the constraint off silently.
 */
import type { ToolDef } from '../gateway/catalog.ts';
import { boundedMemo } from '../util/bounded-memo.ts';

export type ArgumentKind = 'path' | 'url' | 'sql' | 'database';

const BY_LAST_WORD: Record<string, ArgumentKind> = {};
for (const w of ['url', 'urls', 'uri', 'uris', 'endpoint', 'href', 'link', 'links']) BY_LAST_WORD[w] = 'url';
for (const w of ['path', 'paths', 'file', 'files', 'filename', 'filepath', 'dir', 'directory', 'folder', 'destination', 'dest', 'source', 'src', 'target', 'location']) BY_LAST_WORD[w] = 'path';
for (const w of ['sql', 'query', 'statement']) BY_LAST_WORD[w] = 'sql';
for (const w of ['database', 'db', 'dbname', 'catalog']) BY_LAST_WORD[w] = 'database';

const URL_FORMATS = new Set(['uri', 'url', 'iri']);

export function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function kindOf(name: string, schema: Record<string, unknown> | undefined): ArgumentKind | undefined {
  const fmt = typeof schema?.format === 'string' ? schema.format : typeof (schema?.items as Record<string, unknown> | undefined)?.format === 'string' ? String((schema!.items as Record<string, unknown>).format) : undefined;
  if (fmt && URL_FORMATS.has(fmt)) return 'url';
  const words = wordsOf(name);
  return words.length ? BY_LAST_WORD[words[words.length - 1]] : undefined;
}

/**
 * The kind a property name says, at any depth (no schema): `files[0].path` is a path by its
 * `path`. Called for every value of a call, so memoized (the same few names recur); the memo is
 * bounded, and emptied when full, so hostile names cannot grow it.
 */
export const kindOfName: (name: string) => ArgumentKind | undefined = boundedMemo((name) => kindOf(name, undefined));

export type InferredArguments = Record<ArgumentKind, string[]>;

const cache = new WeakMap<object, InferredArguments>();

/** Argument names by kind, from the schema's properties (cached per tool definition) or the call's keys. */
export function inferArguments(def: ToolDef | undefined, args: Record<string, unknown>): InferredArguments {
  const props = (def?.inputSchema?.properties ?? undefined) as Record<string, Record<string, unknown>> | undefined;
  if (def && props && typeof props === 'object') {
    const hit = cache.get(def);
    if (hit) return hit;
    const out = infer(Object.keys(props), (n) => props[n]);
    cache.set(def, out);
    return out;
  }
  return infer(Object.keys(args), () => undefined);
}

function infer(names: string[], schemaOf: (n: string) => Record<string, unknown> | undefined): InferredArguments {
  const out: InferredArguments = { path: [], url: [], sql: [], database: [] };
  for (const n of names) {
    const k = kindOf(n, schemaOf(n));
    if (k) out[k].push(n);
  }
  return out;
}

/** The value(s) at a dotted argument path (`request.url`); arrays are checked element by element. */
export function argumentValues(args: Record<string, unknown>, name: string): { present: boolean; values: unknown[] } {
  let cur: unknown = args;
  for (const part of name.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, part)) return { present: false, values: [] };
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined) return { present: false, values: [] };
  return { present: true, values: Array.isArray(cur) ? cur : [cur] };
}

/** Does the tool declare this (top-level part of the) argument? Without a schema, anything goes. */
export function declaresArgument(def: ToolDef | undefined, name: string): boolean {
  const props = def?.inputSchema?.properties as Record<string, unknown> | undefined;
  if (!def || !props || typeof props !== 'object') return true;
  return Object.hasOwn(props, name.split('.')[0]);
}

const WRITE_WORDS = new Set([
  'write', 'edit', 'create', 'move', 'rename', 'copy', 'save', 'append', 'put', 'update', 'patch', 'replace', 'delete',
  'remove', 'mkdir', 'upload', 'set', 'insert', 'modify', 'overwrite', 'touch', 'apply', 'add', 'store', 'new', 'make',
]);

/** Whether a tool name has a write verb among its words (asked on every call: memoized, bounded). */
const writeVerbIn = boundedMemo((name) => wordsOf(name).some((x) => WRITE_WORDS.has(x)));

/**
 * Does this tool write? By name (any word a write verb: `write_file`, `move_file`, `editNotebook`)
 * or by annotations (`destructiveHint: true`, `readOnlyHint: false`). A name that says write wins
 * over a `readOnlyHint: true` that says otherwise.
 */
export function isWriteLike(def: ToolDef | undefined, name: string): boolean {
  if (writeVerbIn(name)) return true;
  const a = def?.annotations as { readOnlyHint?: unknown; destructiveHint?: unknown } | undefined;
  return a?.destructiveHint === true || a?.readOnlyHint === false;
}
