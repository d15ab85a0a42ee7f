/**
 * SQL arguments: `forbiddenTables`, `allowedDatabases`, `readOnly`, `forbiddenFunctions`.
 *
 * How a query is read is src/policy/sql-reading.ts: by the database's own lexing first
 * (PostgreSQL's scanner and parser through libpg-query; SQLite's tokenizer rules, confirmed by
 * SQLite itself for SELECTs; MySQL's lexer under every sql_mode that changes it), then by
 * node-sql-parser, which must agree. Anything either cannot read, or that they read
 * differently, is refused: the server's database is the one that executes it.
 *
 * What is decided here, on both readings together (a table either sees counts):
 *   - read-only: one SELECT, nothing that writes anywhere in it;
 *   - functions that run SQL from a string, dump schemas, read files or raw pages
 *     (src/policy/sql-dangerous.ts) and the rule's `forbiddenFunctions`;
 *   - tables: every table reference and every column qualifier (`users.id`), compared
 *     case-insensitively with quotes stripped: `"Users"`, `public.users`, `ONLY users`, `users*`;
 *   - databases: the call's database argument, `db.table` qualifiers, `USE`, `ATTACH`.
 */
import { compileGlob, type GlobMatcher } from './glob.ts';
import type { ConstraintVerdict } from './path-constraint.ts';
import { DANGEROUS_SQL_RELATIONS, dangerousFunction } from './sql-dangerous.ts';
import type { TableRef } from './sql-parser-facts.ts';
import { loadPostgres } from './sql-postgres.ts';
import { readSql } from './sql-reading.ts';

export { DANGEROUS_SQL_FUNCTIONS } from './sql-dangerous.ts';

export const SQL_DIALECTS = [
  'postgresql', 'mysql', 'mariadb', 'sqlite', 'transactsql', 'bigquery', 'snowflake', 'redshift', 'trino', 'hive', 'db2', 'flinksql', 'athena',
] as const;
export type SqlDialect = (typeof SQL_DIALECTS)[number];

export const MAX_SQL_LENGTH = 65_536;

export interface SqlRules {
  allowedDatabases?: readonly string[];
  forbiddenTables?: readonly string[];
  forbiddenFunctions?: readonly string[];
  readOnly?: boolean;
  defaultDatabase?: string;
  sqlDialect?: SqlDialect;
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

/** Async: the PostgreSQL parser is WebAssembly, loaded on first use. */
export type SqlCheck = (sql: unknown, database?: unknown) => Promise<ConstraintVerdict>;

export function compileSqlConstraint(r: SqlRules): SqlCheck {
  const dialect: SqlDialect = r.sqlDialect ?? 'postgresql';
  const forbidden: TablePattern[] = (r.forbiddenTables ?? []).map((t, index) => ({
    source: t,
    index,
    qualified: t.includes('.'),
    match: compileGlob(t.toLowerCase().replace(/["`[\]]/g, '')),
  }));
  const isDangerous = dangerousFunction(r.forbiddenFunctions);
  const allowedDb = r.allowedDatabases?.map((d) => d.toLowerCase());
  const deny = (rule: string, reason: string): ConstraintVerdict => ({ ok: false, rule, reason });
  const pgLoad = dialect === 'postgresql' ? loadPostgres() : undefined;
  pgLoad?.catch(() => {}); // reported by each check

  return async (sql, database) => {
    if (typeof sql !== 'string') return deny('sql', `expected an SQL string, got ${sql === null ? 'null' : typeof sql}`);
    if (sql.length > MAX_SQL_LENGTH) return deny('sql', `SQL longer than ${MAX_SQL_LENGTH} characters`);
    // `/*! ... */` and MariaDB's `/*M! ... */` are code to the server and comments to every parser; `/*+` carries optimizer hints.
    if (/\/\*(?:[!+]|M!)/.test(sql) && (dialect === 'mysql' || dialect === 'mariadb')) return deny('sql', 'a MySQL executable comment (/*! ... */)');
    if (sql.includes('\0')) return deny('sql', 'a NUL byte in SQL');
    let pg;
    try {
      pg = await pgLoad;
    } catch (err) {
      return deny('sql', `PostgreSQL's parser (libpg-query) could not be loaded: ${(err as Error).message.slice(0, 120)}`);
    }
    let reading;
    try {
      reading = readSql(dialect, sql, pg);
    } catch (err) {
      return deny('sql', `cannot be read: ${(err as Error).message.slice(0, 160)}`);
    }
    if ('refused' in reading) return deny('sql', reading.refused);
    const { parser, pg: pgFacts } = reading;

    if (r.readOnly) {
      if (parser.type !== 'select') return deny('readOnly', `a ${parser.type.toUpperCase()} statement in read-only mode`);
      const write = parser.tables.find((t) => t.op !== 'select');
      if (write) return deny('readOnly', `${write.op.toUpperCase()} on '${write.table}' in read-only mode`);
      if (parser.into) return deny('readOnly', 'SELECT ... INTO creates a table');
      if (pgFacts && pgFacts.kind !== 'SelectStmt') return deny('readOnly', `a ${pgFacts.kind} in read-only mode`);
      if (pgFacts?.writes.length) return deny('readOnly', `${pgFacts.writes[0]} in read-only mode`);
    }
    for (const f of [...parser.functions, ...(pgFacts?.functions ?? [])]) if (isDangerous(f)) return deny('forbiddenFunctions', `calls ${f}()`);

    const tables: TableRef[] = [...parser.tables, ...(pgFacts?.tables ?? []).map((t) => ({ ...t, op: 'select' }))];
    const names: { full: string; bare: string }[] = tables.filter((t) => t.table).map((t) => {
      const bare = t.table.toLowerCase();
      return { bare, full: t.qualifier ? `${t.qualifier.toLowerCase()}.${bare}` : bare };
    });
    for (const q of [...parser.qualifiers, ...(pgFacts?.qualifiers ?? []).map((x) => x.toLowerCase())]) names.push({ bare: q.slice(q.lastIndexOf('.') + 1), full: q });
    for (const n of names) {
      if (DANGEROUS_SQL_RELATIONS.includes(n.bare)) return deny('forbiddenFunctions', `reads ${n.bare} (raw pages or files)`);
      // An unqualified pattern names the table in any schema; a qualified one (`public.users`)
      // names it in that schema, written with or without the database in front.
      const schemaTable = n.full.split('.').slice(-2).join('.');
      const f = forbidden.find((p) => (p.qualified ? p.match(n.full) || p.match(schemaTable) : p.match(n.bare)));
      if (f) return deny(`forbiddenTables[${f.index}]: ${f.source}`, `references table '${n.full}'`);
    }

    if (allowedDb) {
      if (parser.type === 'attach' || parser.type === 'detach') return deny('allowedDatabases', `${parser.type.toUpperCase()} changes which databases are reachable`);
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
    return { ok: true, note: `one ${parser.type.toUpperCase()} statement; tables: ${[...new Set(names.map((n) => n.full))].join(', ') || 'none'}` };
  };
}
