/**
 * `audit verify FILE`: the chain over audit files, read as raw bytes.
 *
 * Given the live file, its rotated archives (`<file>.YYYY-MM-DD`, `<file>.YYYY-MM-DD.N`) are
 * verified first, oldest first, since chains continue across rotation. Each line's hash is taken
 * over its own bytes (minus the `,"hash":"..."` suffix), so verification never depends on how a
 * parser would re-serialize it, and a line is decoded only to read its chain fields.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HASH_SUFFIX_LENGTH } from './hash-chain.ts';
import { ChainVerifier, type VerifyOptions, type VerifyResult } from './verify-chain.ts';

const SUFFIX_START = Buffer.from(',"hash":"');
const CLOSE = Buffer.from('}');
const NL = 0x0a;
const ARCHIVE_RE = /^\.(\d{4}-\d{2}-\d{2})(?:\.(\d+))?$/;

/** The rotated archives of `path`, oldest first, then `path` itself. */
export function auditFileSeries(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [path];
  }
  const archives = names
    .filter((n) => n.startsWith(base) && ARCHIVE_RE.test(n.slice(base.length)))
    .map((n) => {
      const m = ARCHIVE_RE.exec(n.slice(base.length))!;
      return { n, day: m[1], k: m[2] === undefined ? 0 : Number(m[2]) };
    })
    .sort((a, b) => (a.day === b.day ? a.k - b.k : a.day < b.day ? -1 : 1))
    .map((a) => join(dir, a.n));
  return existsSync(path) ? [...archives, path] : archives;
}

function checkLine(v: ChainVerifier, line: Buffer, where: string): boolean {
  const n = line.length;
  if (n < HASH_SUFFIX_LENGTH + 2 || line[n - 1] !== 0x7d || line[n - 2] !== 0x22 || !line.subarray(n - HASH_SUFFIX_LENGTH, n - HASH_SUFFIX_LENGTH + SUFFIX_START.length).equals(SUFFIX_START)) {
    return v.fail(where, 'not a chained audit record: no trailing hash (edited, truncated, or written without a chain)');
  }
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
  } catch {
    return v.fail(where, 'not valid JSON (edited or truncated)');
  }
  if (!rec || typeof rec !== 'object' || Array.isArray(rec)) return v.fail(where, 'not a JSON object');
  const hash = line.toString('latin1', n - 66, n - 2);
  return v.add(Buffer.concat([line.subarray(0, n - HASH_SUFFIX_LENGTH), CLOSE]), hash, rec, where);
}

async function feedFile(v: ChainVerifier, file: string): Promise<void> {
  let lineNo = 0;
  let carry: Buffer | undefined;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let start = 0;
      for (let i = buf.indexOf(NL, start); i !== -1; i = buf.indexOf(NL, start)) {
        lineNo++;
        if (i > start && !checkLine(v, buf.subarray(start, i), `${file}:${lineNo}`)) return;
        if (i === start) return void v.fail(`${file}:${lineNo}`, 'empty line (a record was blanked)');
        start = i + 1;
      }
      if (start < buf.length) carry = Buffer.from(buf.subarray(start));
      buf = Buffer.alloc(0);
    }
    if (carry?.length) v.fail(`${file}:${lineNo + 1}`, 'the last record is incomplete: the file was truncated inside it');
  } finally {
    stream.destroy();
  }
}

export async function verifyAuditFiles(files: string[], opts: VerifyOptions = {}): Promise<VerifyResult> {
  const v = new ChainVerifier(opts);
  for (const f of files) {
    if (v.problem) break;
    await feedFile(v, f);
  }
  return v.finish();
}
