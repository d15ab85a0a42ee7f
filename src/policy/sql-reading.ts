/**
 * One SQL text read the way its database reads it, with node-sql-parser's reading checked
 * against that. The order, each step with the attack it stops:
 *   1. the database's lexing (PostgreSQL's own scanner; SQLite's and MySQL's rules; every
 *      reading of the other dialects) must find exactly one statement — `'\'; COMMIT; DROP`;
 *   2. no code the parser may take for a comment or string — MySQL `--1`, SQLite `$a(')`;
 *      PostgreSQL: the same split with standard_conforming_strings off — `'a\'', (SELECT ...) --'`;
 *   3. node-sql-parser must parse it as one statement;
 *   4. with strings blanked and comments removed it must parse to the same statement, tables
 *      and functions — a parser string hiding a subquery (`'\', (SELECT ... FROM users) --'`);
 *   5. PostgreSQL: its own parser must agree on one statement, and nothing that runs code from
 *      a string (`DO`, `CREATE FUNCTION`) or touches server files (`COPY ... TO '/file'`);
 *   6. SQLite: SQLite itself must end the first SELECT where step 1 did.
 * A failure at any step refuses the call (rule `sql`) with the step's reason.
 */
import { ambiguousCode, lexDialect, maskedSql, sameWithLegacyStrings, statementCount } from './sql-lexing.ts';
import { SqlLexError, type Piece } from './sql-lexer.ts';
import { parserFacts, shapeOf, type ParserFacts } from './sql-parser-facts.ts';
import { postgresFacts, postgresPieces, type loadPostgres, type PgFacts } from './sql-postgres.ts';
import { sqliteFirstSelectEnd } from './sql-sqlite-engine.ts';
import type { SqlDialect } from './sql-constraint.ts';

export interface SqlReading {
  parser: ParserFacts;
  /** PostgreSQL's own parse (dialect `postgresql` only). */
  pg?: PgFacts;
}

type Pg = Awaited<ReturnType<typeof loadPostgres>>;
const short = (err: unknown) => String((err as Error)?.message ?? err).slice(0, 160);

/** The reading, or why the text cannot be trusted to mean one thing. */
export function readSql(dialect: SqlDialect, sql: string, pg?: Pg): SqlReading | { refused: string } {
  let pieces: Piece[];
  try {
    pieces = pg ? postgresPieces(pg, sql) : lexDialect(dialect as Exclude<SqlDialect, 'postgresql'>, sql);
  } catch (err) {
    if (!(err instanceof SqlLexError)) throw err;
    return { refused: `${dialect} cannot read it: ${err.message}` };
  }
  const count = statementCount(sql, pieces);
  if (count !== 1) return { refused: `${count} statements as ${dialect} reads it (exactly one is allowed)` };
  const ambiguous = ambiguousCode(dialect, sql, pieces);
  if (ambiguous) return { refused: `ambiguous: ${ambiguous}` };
  if (pg && !sameWithLegacyStrings(sql, pieces)) return { refused: 'its strings end elsewhere when the server runs with standard_conforming_strings = off' };

  let parser: ParserFacts;
  try {
    parser = parserFacts(dialect, sql);
  } catch (err) {
    return { refused: `does not parse as ${dialect}: ${short(err)}` };
  }
  if (parser.statements !== 1) return { refused: `${parser.statements} statements (exactly one is allowed)` };
  const masked = maskedSql(sql, pieces);
  if (masked !== undefined) {
    let same = false;
    try {
      same = shapeOf(parserFacts(dialect, masked)) === shapeOf(parser);
    } catch {
      /* the parser reads the masked text differently: not the same */
    }
    if (!same) return { refused: `the parser and ${dialect} disagree on where strings or comments end` };
  }
  // PostgreSQL's own parse names the real table behind `ONLY t`; Redshift has no such second reading.
  if (dialect === 'redshift' && parser.tables.some((t) => t.table.toLowerCase() === 'only')) {
    return { refused: "the parser reads ONLY (no inheritance children) as a table named 'only'" };
  }

  let facts: PgFacts | undefined;
  if (pg) {
    try {
      facts = postgresFacts(pg, sql);
    } catch (err) {
      return { refused: `PostgreSQL does not parse it: ${short(err)}` };
    }
    if (facts.statements !== 1) return { refused: `${facts.statements} statements as PostgreSQL parses it (exactly one is allowed)` };
    if (facts.runsCode) return { refused: facts.runsCode };
    // The parser's table "only" is `ONLY t` misread; PostgreSQL's parse lists t (and a real table "only", quoted).
    parser = { ...parser, tables: parser.tables.filter((t) => t.table.toLowerCase() !== 'only') };
  }
  if (dialect === 'sqlite' && parser.type === 'select') {
    const engine = sqliteFirstSelectEnd(sql);
    if ('error' in engine) return { refused: `SQLite does not read it as one SELECT: ${engine.error}` };
    const semicolon = pieces.find((p) => p.kind === 'semicolon');
    if (engine.end !== (semicolon ? semicolon.end : sql.length)) return { refused: 'SQLite ends the statement somewhere else than its lexing rules say' };
  }
  return { parser, pg: facts };
}
