/**
 * SQL arguments: `forbiddenTables`, `allowedDatabases`, `readOnly`, parsed by a real parser
 * (node-sql-parser) in the configured dialect.
 *
 * Fail closed at every step: a statement the parser does not understand is refused (the server's
 * database might understand it differently); so is more than one statement (the stacked
 * `COMMIT; DROP ...` escape from the read-only transaction of the Postgres reference server), any
 * MySQL executable comment (`/*! ... *\/` is code to MySQL and a comment to the parser), and any
 * call of a function that reads files, runs SQL from a string, or reaches other databases
 * (`query_to_xml('select * from users')` names no table the parser can see).
 *
 * Tables are collected from the parser's table list (joins, subqueries, CTEs, set operations)
 * and from every `table` qualifier in the tree (`users.id`), compared case-insensitively with
 * quotes already stripped by the parser: `"Users"`, `public.users`, `USERS` all name `users`.
 */
import { createRequire } from 'node:module';
import type { AST, Parser as SqlParser } from 'node-sql-parser';
import { compileGlob, type GlobMatcher } from './glob.ts';
import type { ConstraintVerdict } from './path-constraint.ts';

export const SQL_DIALECTS = [
  'postgresql', 'mysql', 'mariadb', 'sqlite', 'transactsql', 'bigquery', 'snowflake', 'redshift', 'trino', 'hive', 'db2', 'flinksql', 'athena',
] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

export const MAX_SQL_LENGTH = 65_536;

/**
 * Functions refused whenever an SQL constraint applies: they read or write files, run SQL given
 * as a string, reach other databases or the OS, or change server state.
 */
export const DANGEROUS_SQL_FUNCTIONS: readonly string[] = [
  // PostgreSQL
  'pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir',
  'lo_import', 'lo_export', 'lo_get', 'lo_put', 'lo_from_bytea', 'dblink', 'dblink_exec', 'dblink_connect', 'dblink_send_query',
  'query_to_xml', 'query_to_xml_and_xmlschema', 'query_to_xmlschema', 'cursor_to_xml', 'table_to_xml', 'table_to_xml_and_xmlschema',
  'schema_to_xml', 'database_to_xml', 'database_to_xml_and_xmlschema', 'set_config', 'pg_terminate_backend', 'pg_cancel_backend',
  'pg_reload_conf', 'pg_rotate_logfile', 'pg_promote', 'pg_sleep', 'pg_sleep_for', 'pg_sleep_until', 'nextval', 'setval',
  'pg_advisory_lock', 'pg_advisory_xact_lock', 'txid_current', 'pg_current_xact_id', 'pg_logical_emit_message', 'pg_switch_wal',
  // MySQL / MariaDB
  'load_file', 'sys_exec', 'sys_eval', 'benchmark', 'sleep', 'get_lock', 'release_lock',
  // SQLite
  'load_extension', 'readfile', 'writefile', 'edit', 'fts3_tokenizer', 'zipfile', 'sqlar_compress',
  // SQL Server
  'xp_cmdshell', 'openrowset', 'opendatasource', 'openquery', 'xp_dirtree', 'xp_fileexist',
];

export interface SqlRules {
  allowedDatabases?: readonly string[];
  forbiddenTables?: readonly string[];
  forbiddenFunctions?: readonly string[];
  readOnly?: boolean;
  defaultDatabase?: string;
  sqlDialect?: SqlDialect;
}

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

interface TableRef {
  qualifier: string | null;
  table: string;
  op: string;
}

/** node-sql-parser's `op::qualifier::table` strings. */
function tableRefs(list: string[]): TableRef[] {
  return list.map((s) => {
    const [op, qualifier, table] = s.split('::');
    return { op: op.toLowerCase(), qualifier: qualifier === 'null' ? null : qualifier, table: table === 'null' ? '' : table };
  });
}

/** Every function name and `table` qualifier anywhere in the tree (bounded walk). */
function walk(ast: unknown): { functions: Set<string>; qualifiers: Set<string>; into: boolean } {
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
      if (parts.length) functions.add(parts[parts.length - 1].toLowerCase());
    }
    if (o.type === 'column_ref' && typeof o.table === 'string') qualifiers.add(o.table.toLowerCase());
    if (o.type === 'into' && o.expr) into = true;
    if (o.into && typeof o.into === 'object' && (o.into as { expr?: unknown }).expr) into = true;
    for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
  }
  if (budget <= 0) throw new Error('statement too complex');
  return { functions, qualifiers, into };
}

/** Which database a qualifier names, per dialect (`db.table` in MySQL, `db.schema.table` in Postgres, attached schemas in SQLite). */
function databaseOf(qualifier: string | null, dialect: SqlDialect): string | null {
  if (!qualifier) return null;
  switch (dialect) {
    case 'mysql':
    case 'mariadb':
    case 'hive':
    case 'bigquery':
    case 'athena':
    case 'flinksql':
      return qualifier;
    case 'sqlite':
      return qualifier.toLowerCase() === 'main' || qualifier.toLowerCase() === 'temp' ? null : qualifier;
    default:
      // postgresql, transactsql, snowflake, redshift, trino, db2: `schema.table`, or `db.schema.table`.
      return qualifier.includes('.') ? qualifier.slice(0, qualifier.indexOf('.')) : null;
  }
}

interface TablePattern {
  source: string;
  index: number;
  qualified: boolean;
  match: GlobMatcher;
}

export type SqlCheck = (sql: unknown, database?: unknown) => ConstraintVerdict;

export function compileSqlConstraint(r: SqlRules): SqlCheck {
  const dialect: SqlDialect = r.sqlDialect ?? 'postgresql';
  const forbidden: TablePattern[] = (r.forbiddenTables ?? []).map((t, index) => ({
    source: t,
    index,
    qualified: t.includes('.'),
    match: compileGlob(t.toLowerCase().replace(/["`[\]]/g, '')),
  }));
  const badFunctions = new Set([...DANGEROUS_SQL_FUNCTIONS, ...(r.forbiddenFunctions ?? [])].map((f) => f.toLowerCase()));
  const allowedDb = r.allowedDatabases?.map((d) => d.toLowerCase());
  const deny = (rule: string, reason: string): ConstraintVerdict => ({ ok: false, rule, reason });

  return (sql, database) => {
    if (typeof sql !== 'string') return deny('sql', `expected an SQL string, got ${sql === null ? 'null' : typeof sql}`);
    if (sql.length > MAX_SQL_LENGTH) return deny('sql', `SQL longer than ${MAX_SQL_LENGTH} characters`);
    if (/\/\*[!+]/.test(sql) && (dialect === 'mysql' || dialect === 'mariadb')) return deny('sql', 'a MySQL executable comment (/*! ... */)');
    if (sql.includes('\0')) return deny('sql', 'a NUL byte in SQL');
    let ast: AST | AST[];
    let tables: TableRef[];
    let facts: ReturnType<typeof walk>;
    try {
      const p = parserFor(dialect);
      ast = p.astify(sql, { database: dialect });
      tables = tableRefs(p.tableList(sql, { database: dialect }));
      facts = walk(ast);
    } catch (err) {
      return deny('sql', `does not parse as ${dialect}: ${(err as Error).message.slice(0, 160)}`);
    }
    const statements = (Array.isArray(ast) ? ast : [ast]).filter(Boolean);
    if (statements.length !== 1) return deny('sql', `${statements.length} statements (exactly one is allowed)`);
    const type = String((statements[0] as { type?: unknown }).type).toLowerCase();

    if (r.readOnly) {
      if (type !== 'select') return deny('readOnly', `a ${type.toUpperCase()} statement in read-only mode`);
      const write = tables.find((t) => t.op !== 'select');
      if (write) return deny('readOnly', `${write.op.toUpperCase()} on '${write.table}' in read-only mode`);
      if (facts.into) return deny('readOnly', 'SELECT ... INTO creates a table');
    }
    for (const f of facts.functions) if (badFunctions.has(f)) return deny('forbiddenFunctions', `calls ${f}()`);

    const names: { full: string; bare: string }[] = tables.filter((t) => t.table).map((t) => {
      const bare = t.table.toLowerCase();
      return { bare, full: t.qualifier ? `${t.qualifier.toLowerCase()}.${bare}` : bare };
    });
    for (const q of facts.qualifiers) names.push({ bare: q.slice(q.lastIndexOf('.') + 1), full: q });
    for (const n of names) {
      // An unqualified pattern names the table in any schema; a qualified one (`public.users`)
      // names it in that schema, written with or without the database in front.
      const schemaTable = n.full.split('.').slice(-2).join('.');
      const f = forbidden.find((p) => (p.qualified ? p.match(n.full) || p.match(schemaTable) : p.match(n.bare)));
      if (f) return deny(`forbiddenTables[${f.index}]: ${f.source}`, `references table '${n.full}'`);
    }

    if (allowedDb) {
      if (type === 'attach' || type === 'detach') return deny('allowedDatabases', `${type.toUpperCase()} changes which databases are reachable`);
      const used = new Set<string>();
      if (database !== undefined && database !== null && database !== '') {
        if (typeof database !== 'string') return deny('allowedDatabases', 'the database argument is not a string');
        used.add(database);
      }
      for (const t of tables) {
        if (t.op === 'use' && t.qualifier) used.add(t.qualifier);
        const db = databaseOf(t.qualifier, dialect);
        if (db && t.op !== 'use') used.add(db);
      }
      if (used.size === 0) {
        if (!r.defaultDatabase) return deny('allowedDatabases', 'the call names no database and the rule has no `defaultDatabase`');
        used.add(r.defaultDatabase);
      }
      for (const db of used) {
        if (!allowedDb.includes(db.toLowerCase().replace(/["`[\]]/g, ''))) return deny('allowedDatabases', `database '${db}' is not allowed`);
      }
    }
    return { ok: true, note: `one ${type.toUpperCase()} statement; tables: ${names.map((n) => n.full).join(', ') || 'none'}` };
  };
}
