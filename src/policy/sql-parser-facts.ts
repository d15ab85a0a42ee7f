/**
 * What node-sql-parser finds in one SQL text: statements, their type, tables (with the
 * operation on each), functions, column qualifiers, `SELECT ... INTO`.
 *
 * The parser is a second opinion, not the authority on where strings and comments end: its
 * lexing is generic (it reads `'\'` as an escaped quote in every dialect, `--1` as a comment in
 * MySQL). src/policy/sql-lexing.ts checks that it read the text the way the database does.
 */
import { createRequire } from 'node:module';
import type { AST, Parser as SqlParser } from 'node-sql-parser';
import type { SqlDialect } from './sql-constraint.ts';

const require = createRequire(import.meta.url);
const parsers = new Map<SqlDialect, SqlParser>();

/** Each dialect's grammar is loaded on first use (the all-dialect bundle costs ~60 ms at start). */
function parserFor(dialect: SqlDialect): SqlParser {
  let p = parsers.get(dialect);
  if (!p) {
    const mod = require(`node-sql-parser/build/${dialect}.js`) as { Parser: new () => SqlParser };
    p = new mod.Parser();
    parsers.set(dialect, p);
  }
  return p;
}

export interface TableRef {
  qualifier: string | null;
  table: string;
  /** `select`, `insert`, `drop`, `use`, ... */
  op: string;
}

export interface ParserFacts {
  statements: number;
  type: string;
  tables: TableRef[];
  functions: Set<string>;
  qualifiers: Set<string>;
  into: boolean;
}

/** node-sql-parser's `op::qualifier::table` strings. */
function tableRefs(list: string[]): TableRef[] {
  return list.map((s) => {
    const [op, qualifier, table] = s.split('::');
    return { op: op.toLowerCase(), qualifier: qualifier === 'null' ? null : qualifier, table: table === 'null' ? '' : table };
  });
}

const STRING_TYPES = new Set(['single_quote_string', 'double_quote_string', 'string', 'natural_string']);
const stringArg = (x: unknown) => {
  const o = x as { type?: string; value?: unknown } | undefined;
  return o && STRING_TYPES.has(String(o.type)) && typeof o.value === 'string' ? o.value : undefined;
};

/** Every function name and `table` qualifier anywhere in the tree (bounded walk). */
function walk(ast: unknown, tables: TableRef[]): Pick<ParserFacts, 'functions' | 'qualifiers' | 'into'> {
  const functions = new Set<string>();
  const qualifiers = new Set<string>();
  let into = false;
  const stack: unknown[] = [ast];
  let budget = 200_000;
  while (stack.length && budget-- > 0) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      for (const x of n) stack.push(x);
      continue;
    }
    const o = n as Record<string, unknown>;
    if (o.type === 'function' || o.type === 'aggr_func') {
      const name = o.name as unknown;
      const parts = typeof name === 'string' ? [name] : ((name as { name?: { value?: string }[] })?.name ?? []).map((x) => String(x.value));
      functions.add(parts.join('.').toLowerCase());
      const last = parts.length ? parts[parts.length - 1].toLowerCase() : '';
      if (last) functions.add(last);
      // SQLite's table-valued pragmas name a table in a string: pragma_table_info('users'[, 'schema']).
      const args = (o.args as { value?: unknown[] } | undefined)?.value;
      const table = last.startsWith('pragma_') && Array.isArray(args) ? stringArg(args[0]) : undefined;
      if (table !== undefined) tables.push({ op: 'select', qualifier: stringArg(args![1]) ?? null, table });
    }
    if (o.type === 'column_ref' && typeof o.table === 'string') qualifiers.add(o.table.toLowerCase());
    if (o.type === 'into' && o.expr) into = true;
    if (o.into && typeof o.into === 'object' && (o.into as { expr?: unknown }).expr) into = true;
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
  }
  if (budget <= 0) throw new Error('statement too complex');
  return { functions, qualifiers, into };
}

/** Throws the parser's error when it does not parse. */
export function parserFacts(dialect: SqlDialect, sql: string): ParserFacts {
  // One parse gives the tree and the table list (astify + tableList would parse twice).
  const { ast, tableList } = parserFor(dialect).parse(sql, { database: dialect }) as { ast: AST | AST[]; tableList: string[] };
  const tables = tableRefs(tableList);
  const statements = (Array.isArray(ast) ? ast : [ast]).filter(Boolean);
  const facts = walk(ast, tables);
  return { statements: statements.length, type: String((statements[0] as { type?: unknown } | undefined)?.type).toLowerCase(), tables, ...facts };
}

/** The parts two readings of one statement must share (literal values aside). */
export function shapeOf(f: ParserFacts): string {
  const sorted = (xs: Iterable<string>) => [...xs].sort().join(',');
  return [f.statements, f.type, f.into, sorted(f.tables.map((t) => `${t.op}:${t.qualifier}:${t.table}`)), sorted(f.functions), sorted(f.qualifiers)].join('|');
}
