/**
 * PostgreSQL read by PostgreSQL: libpg-query is the server's own scanner and grammar (scan.l,
 * gram.y) compiled to WebAssembly, so what it calls one statement, a string, a table or a
 * function call is what the server will execute. It decides for the `postgresql` dialect;
 * node-sql-parser's findings are added to its findings, never put in their place.
 *
 * What node-sql-parser missed and this sees: `SELECT '\' ...; COMMIT; DROP ...` is three
 * statements (standard_conforming_strings=on since 9.1: a backslash is an ordinary character);
 * `FROM ONLY users` and `FROM users*` name `users` (node-sql-parser reads `ONLY` as a table
 * named "only"); `TABLE users`, `COPY users TO STDOUT`, `LATERAL`, `TABLESAMPLE`, data-modifying
 * CTEs, `SELECT ... FOR UPDATE` and `SELECT ... INTO` are all visible in the tree.
 *
 * The WebAssembly module is loaded on first use (~45 ms); checks await it.
 */
import { createRequire } from 'node:module';
import { SqlLexError, type Piece } from './sql-lexer.ts';

interface PgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts?: { stmt?: Record<string, unknown> }[] };
  scanSync(sql: string): { tokens?: { start: number; end: number; tokenName: string; text: string }[] };
}

const require = createRequire(import.meta.url);
let loading: Promise<PgQuery> | undefined;

/** The loaded module; one load per process, shared by every rule. A failed load stays failed (and every PostgreSQL query is refused). */
export function loadPostgres(): Promise<PgQuery> {
  loading ??= (async () => {
    const m = require('libpg-query') as PgQuery;
    await m.loadModule();
    return m;
  })();
  return loading;
}

/** UTF-16 index of every UTF-8 byte offset of `s` (libpg-query reports byte offsets). */
function byteToIndex(s: string): Int32Array {
  const map = new Int32Array(Buffer.byteLength(s, 'utf8') + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) map[b + k] = i;
    b += n;
    if (cp >= 0x10000) i++;
  }
  map[b] = s.length;
  return map;
}

/** PostgreSQL's own tokens as pieces: comments, string constants (incl. E'', U&'', B'', X'', $tag$), quoted identifiers, `;`. */
export function postgresPieces(pg: PgQuery, sql: string): Piece[] {
  let tokens;
  try {
    tokens = pg.scanSync(sql).tokens ?? [];
  } catch (err) {
    throw new SqlLexError(`PostgreSQL's scanner cannot read it (${(err as Error).message.slice(0, 80)})`);
  }
  const at = byteToIndex(sql);
  const pieces: Piece[] = [];
  let codeStart = 0;
  for (const t of tokens) {
    const start = at[t.start];
    const end = at[t.end];
    const text = sql.slice(start, end);
    let kind: Piece['kind'] | undefined;
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') kind = 'comment';
    else if (text === ';') kind = 'semicolon';
    else if (/^(?:[EeBbXxNn]|[Uu]&)?'/.test(text) || /^\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.test(text)) kind = 'string';
    else if (/^(?:[Uu]&)?"/.test(text)) kind = 'identifier';
    if (!kind) continue;
    if (codeStart < start) pieces.push({ kind: 'code', start: codeStart, end: start });
    pieces.push({ kind, start, end });
    codeStart = end;
  }
  if (codeStart < sql.length) pieces.push({ kind: 'code', start: codeStart, end: sql.length });
  return pieces;
}

export interface PgTable {
  qualifier: string | null;
  table: string;
}

export interface PgFacts {
  statements: number;
  /** The statement's node type: `SelectStmt`, `InsertStmt`, `CopyStmt`, ... */
  kind: string;
  tables: PgTable[];
  /** Column qualifiers (`users` in `users.id`). */
  qualifiers: string[];
  /** Called functions, lower-case, schema-qualified as written (`pg_catalog.ts_stat`). */
  functions: string[];
  /** Anything that writes, wherever it sits: a data-modifying CTE, `SELECT ... INTO`, `FOR UPDATE`. */
  writes: string[];
  /** A statement that runs code given as a string, or reads and writes the server's files. */
  runsCode?: string;
}

const WRITE_NODES: Record<string, string> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  intoClause: 'SELECT ... INTO', // SelectStmt.intoClause, not wrapped in a node name
  LockingClause: 'SELECT ... FOR UPDATE/SHARE',
};
const TABLE_DROPS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_FOREIGN_TABLE']);

const strings = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((x) => (x as { String?: { sval?: string } }).String?.sval).filter((s): s is string => typeof s === 'string') : [];

/** What the statement does, from PostgreSQL's parse tree. Throws (with PostgreSQL's message) when PostgreSQL would not parse it. */
export function postgresFacts(pg: PgQuery, sql: string): PgFacts {
  const stmts = (pg.parseSync(sql).stmts ?? []).map((s) => s.stmt ?? {});
  const facts: PgFacts = { statements: stmts.length, kind: Object.keys(stmts[0] ?? {})[0] ?? 'none', tables: [], qualifiers: [], functions: [], writes: [] };
  const stack: [string, unknown][] = stmts.flatMap((s) => Object.entries(s));
  let budget = 200_000;
  while (stack.length) {
    if (budget-- <= 0) throw new Error('statement too complex');
    const [key, n] = stack.pop()!;
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (const x of n) stack.push(['', x]);
      continue;
    }
    const o = n as Record<string, unknown>;
    // A RangeVar, wrapped ({RangeVar: {...}}) or not (CopyStmt.relation, InsertStmt.relation, IntoClause.rel).
    if (typeof o.relname === 'string') {
      const q = [o.catalogname, o.schemaname].filter((x): x is string => typeof x === 'string');
      facts.tables.push({ qualifier: q.length ? q.join('.') : null, table: o.relname });
    }
    if (key === 'FuncCall') facts.functions.push(strings(o.funcname).join('.').toLowerCase());
    if (key === 'ColumnRef') {
      const parts = strings(o.fields);
      const starred = Array.isArray(o.fields) && (o.fields as Record<string, unknown>[]).some((f) => 'A_Star' in f);
      const q = starred ? parts : parts.slice(0, -1);
      if (q.length) facts.qualifiers.push(q.join('.'));
    }
    if (key === 'DropStmt' && TABLE_DROPS.has(String(o.removeType))) {
      for (const name of (o.objects as unknown[]) ?? []) {
        const parts = strings((name as { List?: { items?: unknown } }).List?.items);
        if (parts.length) facts.tables.push({ qualifier: parts.length > 1 ? parts.slice(0, -1).join('.') : null, table: parts[parts.length - 1] });
      }
    }
    if (WRITE_NODES[key]) facts.writes.push(WRITE_NODES[key]);
    if (key === 'DoStmt') facts.runsCode ??= 'a DO block runs code given as a string';
    if (key === 'CreateFunctionStmt') facts.runsCode ??= 'CREATE FUNCTION/PROCEDURE stores code to run later, out of the policy\'s sight';
    if (key === 'LoadStmt') facts.runsCode ??= 'LOAD loads a shared library';
    if (key === 'CopyStmt' && (o.filename !== undefined || o.is_program)) facts.runsCode ??= 'COPY reads or writes a server file or runs a program';
    for (const [k, v] of Object.entries(o)) if (v && typeof v === 'object') stack.push([k, v]);
  }
  return facts;
}
