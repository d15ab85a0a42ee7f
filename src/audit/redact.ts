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

/** Argument names repeat from call to call: each is classified once (bounded, names are attacker-chosen). */
const keyVerdicts = new Map<string, boolean>();
const MAX_REMEMBERED_KEYS = 4096;
function secretKey(k: string): boolean {
  let v = keyVerdicts.get(k);
  if (v === undefined) {
    v = isSecretKey(k);
    if (k.length <= 64 && keyVerdicts.size < MAX_REMEMBERED_KEYS) keyVerdicts.set(k, v);
  }
  return v;
}

/**
 * The redacted value: copy on write. A string, array or object that needs no change is returned
 * as it is, so a call whose arguments hold nothing to redact costs one walk and no allocation.
 */
function copy(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return TRUNCATED;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const c = copy(v, depth + 1);
      if (out) out.push(c);
      else if (c !== v) (out = value.slice(0, i)).push(c);
    }
    return out ?? value;
  }
  const src = value as Record<string, unknown>;
  const keys = Object.keys(src);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = src[k];
    const c = secretKey(k) ? REDACTED : copy(v, depth + 1);
    if (!out) {
      if (c === v) continue;
      out = {};
      for (let j = 0; j < i; j++) put(out, keys[j]!, src[keys[j]!]);
    }
    put(out, k, c);
  }
  return out ?? value;
}

// A plain assignment to `__proto__` would set the copy's prototype instead of a key.
function put(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/**
 * Redacted and bounded; the input is never mutated. Parts that need no change are shared with the
 * input (the audit log serializes the record before `emit` returns, so later changes to the
 * arguments cannot reach it).
 */
export function redactArguments(value: unknown): unknown {
  return copy(value, 0);
}
