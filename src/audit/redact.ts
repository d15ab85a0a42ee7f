/**
 * Redaction of tool arguments before they reach an audit record.
 *
 * The value of any key that names a secret becomes "[REDACTED]", whatever its type; any string
 * carrying `Bearer <token>` keeps the word and loses the token. The copy is bounded so one call
 * cannot bloat the audit log: nesting deeper than MAX_DEPTH becomes "[TRUNCATED]", strings longer
 * than MAX_STRING are cut with a marker.
 *
 * Key matching splits a key into words at separators and camelCase boundaries
 * (`x-api-key`, `privateKey`, `APIKey`, `session_id`), then tests each word and each adjacent pair
 * joined (`pass`+`word`, `api`+`key`). `key` must be a whole word, so `keyword` and `monkey` pass.
 * `tokens` (plural) is not a secret word either: `max_tokens` is a count every LLM tool takes.
 * The splitter is a hand-written scan: a camelCase regex like `([A-Z]+)([A-Z][a-z])` backtracks
 * quadratically on a long all-caps key, and keys are attacker-chosen.
 */

export const REDACTED = '[REDACTED]';
export const TRUNCATED = '[TRUNCATED]';
export const MAX_DEPTH = 64;
export const MAX_STRING = 4096;

/** Words that are secrets on their own. */
const SECRET_WORDS = new Set([
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'token', 'secret', 'secrets', 'key', 'apikey',
  'credential', 'credentials', 'authorization', 'auth', 'cookie', 'cookies', 'private', 'sessionid',
]);
/** Unambiguous inside a longer run-together word (`dbpassword`, `clientsecret`, `xapikey`). */
const SECRET_INFIXES = ['password', 'passwd', 'passphrase', 'secret', 'credential', 'authorization', 'apikey', 'privatekey', 'accesskey', 'sessionid'];
/** Secret only at the end of a run-together word (`accesstoken`, `setcookie`, but not `tokens`). */
const SECRET_SUFFIXES = ['token', 'cookie'];

const BEARER = /\bbearer\s+[A-Za-z0-9\-._~+/]+=*/gi;

const isLower = (c: string): boolean => c >= 'a' && c <= 'z';
const isUpper = (c: string): boolean => c >= 'A' && c <= 'Z';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

function splitWords(key: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (!isLower(c) && !isUpper(c) && !isDigit(c)) {
      if (cur) words.push(cur);
      cur = '';
      continue;
    }
    // A capital starts a word after a lower-case letter or digit (`privateKey`), or ends an
    // acronym when a lower-case letter follows it (`APIKey` -> api, key).
    if (cur && isUpper(c) && (!isUpper(key[i - 1]) || isLower(key[i + 1] ?? ''))) {
      words.push(cur);
      cur = '';
    }
    cur += c.toLowerCase();
  }
  if (cur) words.push(cur);
  return words;
}

function isSecretWord(w: string): boolean {
  return SECRET_WORDS.has(w) || SECRET_INFIXES.some((s) => w.includes(s)) || SECRET_SUFFIXES.some((s) => w.endsWith(s));
}

export function isSecretKey(key: string): boolean {
  const words = splitWords(key);
  for (let i = 0; i < words.length; i++) {
    if (isSecretWord(words[i])) return true;
    if (i + 1 < words.length && isSecretWord(words[i] + words[i + 1])) return true;
  }
  return false;
}

function redactString(s: string): string {
  // Cut first: the regex then never scans more than MAX_STRING characters.
  const cut = s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…[TRUNCATED ${s.length - MAX_STRING} chars]` : s;
  return cut.replace(BEARER, 'Bearer [REDACTED]');
}

function copy(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return TRUNCATED;
  if (Array.isArray(value)) return value.map((v) => copy(v, depth + 1));
  const out: Record<string, unknown> = {};
  const src = value as Record<string, unknown>;
  for (const k of Object.keys(src)) {
    const v = isSecretKey(k) ? REDACTED : copy(src[k], depth + 1);
    // A plain assignment to `__proto__` would set the copy's prototype instead of a key.
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

/** A redacted, bounded deep copy; the input is never mutated. */
export function redactArguments(value: unknown): unknown {
  return copy(value, 0);
}
