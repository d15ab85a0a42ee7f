/**
 * How each dialect's database splits SQL text, and whether node-sql-parser could be reading the
 * same text differently.
 *
 * PostgreSQL is read by its own scanner (libpg-query, src/policy/sql-postgres.ts). The other
 * dialects are read by the boundary lexer (src/policy/sql-lexer.ts) under that database's rules.
 * Where a server setting changes the rules (MySQL's NO_BACKSLASH_ESCAPES and ANSI_QUOTES), or
 * where we do not know a dialect's rules exactly, the text is read under every candidate rule
 * set ("readings"), and only text that every reading splits the same way is accepted: the
 * gateway cannot know the server's sql_mode, so it takes no side.
 *
 * Then three checks against the parser, which does its own, different lexing:
 *   - statement count: the database's count must be one (the caller compares the parser's);
 *   - code the parser may read as a comment or string: `--1` is `- -1` to MySQL and a comment to
 *     the parser; a quote inside a SQLite variable (`$a(')`) opens no string in SQLite;
 *   - masked re-parse: strings blanked and comments removed (`maskedSql`) must parse to the
 *     same statement, tables and functions as the original; if the parser took code for part
 *     of a string (`'\'` above), the masked text shows it that code.
 */
import { lexPieces, SqlLexError, type LexRules, type Piece } from './sql-lexer.ts';
import type { SqlDialect } from './sql-constraint.ts';

const BASE: LexRules = {
  strings: "'",
  identifiers: { '"': '"' },
  bracketDoubling: false,
  backslash: false,
  dashDash: 'always',
  hashComment: false,
  slashSlashComment: false,
  nestedComments: false,
  openCommentToEnd: false,
  dollarQuotes: false,
  tripleQuotes: false,
  sqliteVariables: false,
};

/** Every combination of the named boolean rules, on top of `base`. */
function readingsOf(base: LexRules, ...vary: ('backslash' | 'nestedComments')[]): LexRules[] {
  let out = [base];
  for (const key of vary) out = out.flatMap((r) => [{ ...r, [key]: false }, { ...r, [key]: true }]);
  return out;
}

/** MySQL/MariaDB (sql_lex.cc): backslash escapes unless NO_BACKSLASH_ESCAPES; `"` a string unless ANSI_QUOTES; `#` and `-- ` comments. */
const MYSQL: LexRules[] = readingsOf({ ...BASE, strings: `'"`, identifiers: { '`': '`' }, dashDash: 'space', hashComment: true }, 'backslash').flatMap((r) => [
  r,
  { ...r, strings: "'", identifiers: { '`': '`', '"': '"' } },
]);

/**
 * One entry per dialect but PostgreSQL. SQLite and MySQL/MariaDB are their lexers' documented
 * rules (tokenize.c; sql_lex.cc). The rest are approximations, read both with and without
 * backslash escapes and nested comments, so no query depends on either.
 */
const READINGS: Record<Exclude<SqlDialect, 'postgresql'>, LexRules[]> = {
  sqlite: [{ ...BASE, identifiers: { '"': '"', '`': '`', '[': ']' }, openCommentToEnd: true, sqliteVariables: true }],
  mysql: MYSQL,
  mariadb: MYSQL,
  transactsql: readingsOf({ ...BASE, identifiers: { '"': '"', '[': ']' }, bracketDoubling: true }, 'backslash', 'nestedComments'),
  bigquery: readingsOf({ ...BASE, strings: `'"\``, identifiers: {}, hashComment: true, tripleQuotes: true }, 'backslash', 'nestedComments'),
  snowflake: readingsOf({ ...BASE, slashSlashComment: true, dollarQuotes: 'bare' }, 'backslash', 'nestedComments'),
  redshift: readingsOf({ ...BASE, dollarQuotes: 'tagged' }, 'backslash', 'nestedComments'),
  trino: readingsOf({ ...BASE }, 'backslash', 'nestedComments'),
  athena: readingsOf({ ...BASE, identifiers: { '"': '"', '`': '`' } }, 'backslash', 'nestedComments'),
  hive: readingsOf({ ...BASE, strings: `'"`, identifiers: { '`': '`' } }, 'backslash', 'nestedComments'),
  db2: readingsOf({ ...BASE }, 'backslash', 'nestedComments'),
  flinksql: readingsOf({ ...BASE, identifiers: { '"': '"', '`': '`' } }, 'backslash', 'nestedComments'),
};

const signature = (pieces: Piece[]) =>
  pieces
    .filter((p) => p.kind !== 'code')
    .map((p) => `${p.kind === 'identifier' ? 'string' : p.kind}:${p.start}:${p.end}`)
    .join(' ');

/** The pieces every reading of `dialect` agrees on. Throws SqlLexError when none can read the text, or two read it differently. */
export function lexDialect(dialect: Exclude<SqlDialect, 'postgresql'>, sql: string): Piece[] {
  const results = READINGS[dialect].map((rules) => {
    try {
      return lexPieces(sql, rules);
    } catch (err) {
      if (err instanceof SqlLexError) return err;
      throw err;
    }
  });
  const read = results.filter((r): r is Piece[] => Array.isArray(r));
  if (read.length === 0) throw results[0] as SqlLexError;
  const sig = signature(read[0]);
  if (read.length < results.length || read.some((r) => signature(r) !== sig)) {
    throw new SqlLexError('its strings or comments end in different places depending on server settings (backslash escapes, ANSI quotes, nested comments)');
  }
  return read[0];
}

/**
 * PostgreSQL with `standard_conforming_strings = off`, a server setting the gateway cannot see:
 * a backslash escapes in every string, as in `E''`. libpg-query reads the default (on).
 */
const POSTGRES_LEGACY_STRINGS: LexRules = { ...BASE, backslash: true, nestedComments: true, dollarQuotes: 'tagged' };

/**
 * Whether PostgreSQL's own pieces split the same way with backslash escapes in every string:
 * `'a\'', (SELECT password FROM users) --'` is one string with the setting on and a subquery
 * with it off. Prefixes (`E`, `U&`, `B`, `X`) are code to the boundary lexer, so pieces are
 * compared from their opening quote.
 */
export function sameWithLegacyStrings(sql: string, pieces: Piece[]): boolean {
  let legacy: Piece[];
  try {
    legacy = lexPieces(sql, POSTGRES_LEGACY_STRINGS);
  } catch (err) {
    if (err instanceof SqlLexError) return false;
    throw err;
  }
  const fromQuote = pieces.map((p) => {
    if (p.kind !== 'string' && p.kind !== 'identifier') return p;
    const q = sql.slice(p.start, p.end).search(/['"$]/);
    return { ...p, start: p.start + Math.max(q, 0) };
  });
  return signature(legacy) === signature(fromQuote);
}

/** Statements with anything but whitespace and comments in them. */
export function statementCount(sql: string, pieces: Piece[]): number {
  let count = 0;
  let open = false;
  for (const p of pieces) {
    if (p.kind === 'semicolon') open = false;
    else if (!open && (p.kind === 'string' || p.kind === 'identifier' || (p.kind === 'code' && sql.slice(p.start, p.end).trim()))) {
      open = true;
      count++;
    }
  }
  return count;
}

/** Dialects whose node-sql-parser grammar reads `#` as a comment (measured on node-sql-parser 5.4). */
const PARSER_HASH_COMMENT = new Set<SqlDialect>(['mysql', 'mariadb', 'sqlite', 'bigquery', 'hive', 'db2', 'athena']);
/** ...and `//` (snowflake's own comment; Trino's parser grammar only). */
const PARSER_SLASH_COMMENT = new Set<SqlDialect>(['snowflake', 'trino']);
/** Dialects whose database lexer reads `$...$` quotes itself, so none can be left in code. */
const DOLLAR_QUOTING = new Set<SqlDialect>(['postgresql', 'redshift']);

/**
 * Text the database reads as code but the parser may read as the start of a comment or string.
 * Undefined when there is none.
 */
export function ambiguousCode(dialect: SqlDialect, sql: string, pieces: Piece[]): string | undefined {
  for (const p of pieces) {
    if (p.kind !== 'code') continue;
    const code = sql.slice(p.start, p.end);
    if (/['"`]/.test(code)) return `a quote character that opens no string in ${dialect} (e.g. inside a variable)`;
    if (code.includes('\\')) return 'a backslash outside a string';
    if (code.includes('--')) return `'--' that ${dialect} does not read as a comment (MySQL needs a space after it) but the parser does`;
    if (code.includes('/*') || code.includes('*/')) return `'/*' or '*/' outside a comment`;
    if (code.includes('#') && PARSER_HASH_COMMENT.has(dialect)) return `'#' that ${dialect} reads as code but the parser reads as a comment`;
    if (code.includes('//') && PARSER_SLASH_COMMENT.has(dialect)) return `'//' that ${dialect} reads as code but the parser may read as a comment`;
    if (!DOLLAR_QUOTING.has(dialect) && /\$(?:[A-Za-z_]\w*)?\$/.test(code)) return `'$...$' that ${dialect} does not read as a quote but the parser may`;
  }
  return undefined;
}

/** A quoted piece whose content no lexer can read differently: one quote character, no backslash, no quote inside. */
function plain(text: string): boolean {
  const open = text[0];
  const close = open === '[' ? ']' : open;
  if (text.length < 2 || text[text.length - 1] !== close || !`'"\`[`.includes(open)) return false;
  return !/['"`[\]\\]/.test(text.slice(1, -1));
}

/**
 * The text the parser sees when it agrees with the database: comments become a space, strings
 * and quoted identifiers whose content a lexer could misread become placeholders, the rest
 * stays. Undefined when that is the original text (nothing to compare).
 */
export function maskedSql(sql: string, pieces: Piece[]): string | undefined {
  let out = '';
  let changed = false;
  let n = 0;
  for (const p of pieces) {
    const text = sql.slice(p.start, p.end);
    if (p.kind === 'comment') {
      out += ' ';
      changed = true;
    } else if ((p.kind === 'string' || p.kind === 'identifier') && !plain(text)) {
      const open = p.kind === 'string' ? "'" : text[0] === '`' || text[0] === '[' ? text[0] : '"';
      out += `${open}${p.kind === 'string' ? 's' : 'i'}${n++}${open === '[' ? ']' : open}`;
      changed = true;
    } else {
      out += text;
    }
  }
  return changed ? out : undefined;
}
