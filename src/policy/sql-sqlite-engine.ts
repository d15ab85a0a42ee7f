/**
 * SQLite asked where its first statement ends, without executing anything.
 *
 * `sqlite3_prepare` compiles exactly one statement and reports (node:sqlite's
 * `StatementSync.sourceSQL`) the text it consumed, up to and including the `;` that ended it:
 * SQLite's own tokenizer decides. Two obstacles, and how they are met:
 *   - a plain SELECT fails to prepare on an empty database ("no such table"), because prepare
 *     resolves names. Prefixed with `CREATE TEMP VIEW ... AS`, it is parsed but not resolved
 *     (SQLite resolves a view's names when the view is used), so any SELECT prepares;
 *   - preparing arbitrary statements is not side-effect free (some PRAGMAs act while being
 *     prepared, a few on process-wide settings), so only SELECTs are asked, and only inside
 *     that view, where no PRAGMA can stand. The statement is never stepped; the database is an
 *     in-memory one opened read-only, with extensions off.
 * The prefix cannot change how the rest is tokenized: SQLite's tokenizer has no state between
 * tokens, and the prefix ends with a complete token and a space.
 */
import { DatabaseSync } from 'node:sqlite';

const PREFIX = 'CREATE TEMP VIEW portcullis_probe AS ';
let scratch: DatabaseSync | undefined;

/**
 * Where SQLite ends the first statement of `select` (an index into it, after the `;` if one
 * ended it), or SQLite's error when it does not read the text as a SELECT (e.g. one with
 * parameters, which a view cannot hold).
 */
export function sqliteFirstSelectEnd(select: string): { end: number } | { error: string } {
  scratch ??= new DatabaseSync(':memory:', { readOnly: true, allowExtension: false });
  try {
    const consumed = scratch.prepare(PREFIX + select).sourceSQL;
    if (!consumed.startsWith(PREFIX)) return { error: 'SQLite reported a different statement' };
    return { end: consumed.length - PREFIX.length };
  } catch (err) {
    return { error: (err as Error).message.slice(0, 160) };
  }
}
