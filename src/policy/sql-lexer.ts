/**
 * A boundary lexer for SQL text: where statements end and where strings, quoted identifiers and
 * comments begin and end — nothing more. It is not a parser: it never looks at grammar, only at
 * the characters that decide what is code and what is not, and it is told each dialect's rules
 * (`LexRules`) rather than guessing them.
 *
 * Why it exists: node-sql-parser reads `'\'` as an escaped quote in every dialect; PostgreSQL
 * (standard_conforming_strings=on) and SQLite read a string holding one backslash. So
 * `SELECT '\' AS x; COMMIT; DROP TABLE orders; --'` was one harmless SELECT to the parser and
 * three statements to the database. The policy decides on the database's lexing, and refuses
 * when the parser's reading differs (src/policy/sql-lexing.ts).
 *
 * Fail closed: a quote, identifier or comment left open where the dialect calls that an error
 * is an error here too.
 */

export interface LexRules {
  /** Characters that open a string literal (the same character closes it; doubling escapes it). */
  strings: string;
  /** Characters that open a quoted identifier, with their closing character (`"`→`"`, `[`→`]`). */
  identifiers: Readonly<Record<string, string>>;
  /** `]]` inside `[...]` is an escaped `]` (T-SQL); SQLite's `[...]` ends at the first `]`. */
  bracketDoubling: boolean;
  /** A backslash escapes the next character inside string literals (MySQL's default, not PostgreSQL's). */
  backslash: boolean;
  /** `--` starts a comment always (`always`), or only before whitespace, a control character or the end (MySQL, `space`). */
  dashDash: 'always' | 'space';
  hashComment: boolean;
  slashSlashComment: boolean;
  nestedComments: boolean;
  /** An unterminated block comment runs to the end (SQLite) instead of being an error. */
  openCommentToEnd: boolean;
  /** `$tag$ ... $tag$` strings (PostgreSQL family); `bare` allows only `$$` (Snowflake). */
  dollarQuotes: false | 'tagged' | 'bare';
  /** BigQuery `'''...'''` and `"""..."""`. */
  tripleQuotes: boolean;
  /** SQLite's `$name(...)`, `@name`, `:name`, `#name` variables, whose `( )` suffix may hold quotes (tokenize.c). */
  sqliteVariables: boolean;
}

export type PieceKind = 'code' | 'string' | 'identifier' | 'comment' | 'semicolon';

export interface Piece {
  kind: PieceKind;
  start: number;
  end: number;
}

export class SqlLexError extends Error {}

/** sqlite3Isspace: space and \t \n \v \f \r. */
const isSpace = (c: string | undefined) => c === ' ' || (c !== undefined && c >= '\t' && c <= '\r');
/** SQLite's IdChar: letters, digits, `_`, `$` and every non-ASCII character. */
const isIdChar = (c: string | undefined) => c !== undefined && (/[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80);
/** MySQL ends `--` comments only before whitespace or a control character (sql_lex.cc, MY_LEX_CHAR). */
const mysqlCommentAfterDashes = (c: string | undefined) => c === undefined || c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f;

/** Split `sql` into pieces under `rules`. Throws SqlLexError for text the dialect cannot read. */
export function lexPieces(sql: string, rules: LexRules): Piece[] {
  const pieces: Piece[] = [];
  let codeStart = 0;
  let i = 0;
  const emit = (kind: PieceKind, start: number, end: number) => {
    if (codeStart < start) pieces.push({ kind: 'code', start: codeStart, end: start });
    pieces.push({ kind, start, end });
    codeStart = end;
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === ';') {
      emit('semicolon', i, i + 1);
    } else if (c === '-' && next === '-' && (rules.dashDash === 'always' || mysqlCommentAfterDashes(sql[i + 2]))) {
      emit('comment', i, lineEnd(sql, i));
    } else if ((c === '#' && rules.hashComment) || (c === '/' && next === '/' && rules.slashSlashComment)) {
      emit('comment', i, lineEnd(sql, i));
    } else if (c === '/' && next === '*' && !(rules.openCommentToEnd && i + 2 === sql.length)) {
      // SQLite reads a `/*` that ends the text as `/` and `*` (tokenize.c, CC_SLASH).
      emit('comment', i, blockCommentEnd(sql, i, rules));
    } else if (rules.tripleQuotes && (c === "'" || c === '"') && next === c && sql[i + 2] === c) {
      const close = sql.indexOf(c.repeat(3), i + 3);
      if (close < 0) throw new SqlLexError(`an unterminated ${c.repeat(3)} string`);
      emit('string', i, close + 3);
    } else if (rules.strings.includes(c)) {
      emit('string', i, quotedEnd(sql, i, c, rules.backslash, true));
    } else if (rules.identifiers[c] !== undefined) {
      const close = rules.identifiers[c];
      emit('identifier', i, quotedEnd(sql, i, close, false, close !== ']' || rules.bracketDoubling));
    } else if (c === '$' && rules.dollarQuotes && !isIdChar(sql[i - 1])) {
      const end = dollarQuoteEnd(sql, i, rules.dollarQuotes);
      if (end === undefined) i++;
      else emit('string', i, end);
    } else if (rules.sqliteVariables && (c === '@' || c === ':' || c === '#' || (c === '$' && !isIdChar(sql[i - 1])))) {
      // `$` inside a name (`a$b`) is a name character to SQLite, not a variable.
      i = sqliteVariableEnd(sql, i);
    } else {
      i++;
    }
  }
  if (codeStart < sql.length) pieces.push({ kind: 'code', start: codeStart, end: sql.length });
  return pieces;
}

function lineEnd(sql: string, from: number): number {
  const nl = sql.indexOf('\n', from);
  return nl < 0 ? sql.length : nl;
}

function blockCommentEnd(sql: string, from: number, rules: LexRules): number {
  let depth = 1;
  let i = from + 2;
  while (i < sql.length) {
    if (sql[i] === '*' && sql[i + 1] === '/') {
      i += 2;
      if (--depth === 0) return i;
    } else if (rules.nestedComments && sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else {
      i++;
    }
  }
  if (rules.openCommentToEnd) return sql.length;
  throw new SqlLexError('an unterminated /* comment');
}

/** The end of a quoted run opened at `from`: a doubled `close` stays inside (when `doubling`), and so does a backslash-escaped character (when `backslash`). */
function quotedEnd(sql: string, from: number, close: string, backslash: boolean, doubling: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslash && c === '\\') {
      i += 2;
    } else if (c === close) {
      if (doubling && sql[i + 1] === close) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  throw new SqlLexError(`an unterminated ${sql[from]}...${close} quote`);
}

/** PostgreSQL's `$tag$ ... $tag$` (scan.l: the tag is an identifier without `$`, or empty). Undefined when `$` opens no quote here (`$1`, `a$b`). */
function dollarQuoteEnd(sql: string, from: number, mode: 'tagged' | 'bare'): number | undefined {
  const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(sql.slice(from, from + 66));
  if (!m || (mode === 'bare' && m[1])) return undefined;
  const tag = m[0];
  const close = sql.indexOf(tag, from + tag.length);
  if (close < 0) throw new SqlLexError(`an unterminated ${tag} string`);
  return close + tag.length;
}

/** SQLite's variable token (tokenize.c, CC_DOLLAR/CC_VARALPHA): name characters, `::`, and a Tcl-style `(...)` suffix that runs to `)` or whitespace. */
function sqliteVariableEnd(sql: string, from: number): number {
  let i = from + 1;
  let n = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (isIdChar(c)) {
      n++;
      i++;
    } else if (c === '(' && n > 0) {
      do i++;
      while (i < sql.length && !isSpace(sql[i]) && sql[i] !== ')');
      return sql[i] === ')' ? i + 1 : i;
    } else if (c === ':' && sql[i + 1] === ':') {
      i += 2;
    } else {
      break;
    }
  }
  return i;
}
