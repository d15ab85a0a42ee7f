/**
 * Canonical JSON (RFC 8785 JCS for the values an audit record holds): object keys sorted by
 * UTF-16 code units, no whitespace, numbers and strings as ECMAScript `JSON.stringify` writes
 * them, `undefined` members dropped. The hash of an audit record is taken over these bytes, so
 * a store that re-orders keys (PostgreSQL `jsonb`) or a reader that re-serializes cannot change
 * what was hashed.
 *
 * Fast path: copy with sorted keys and let the native JSON.stringify write it (about twice as
 * fast). JS objects enumerate integer-like keys ("9", "10") first, in numeric order, whatever
 * the insertion order, so a value holding such a key takes the slow, explicit path. A key named
 * `__proto__` is defined, not assigned: `out["__proto__"] = v` would set the copy's prototype (or
 * do nothing) instead of adding the key, and the member would vanish from the hashed bytes. (A
 * null-prototype copy would also do, but V8 keeps those in dictionary mode: measured 1.6x slower.)
 *
 * Deliberate deviations from RFC 8785, kept because an audit record must always be written:
 * NaN and the infinities serialize as `null` and a lone surrogate as a `\udxxx` escape (both as
 * JSON.stringify writes them) where the RFC says to fail. Everything else matches the RFC's
 * own vectors (test/fixtures/canonical-json).
 */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;
const BAIL = Symbol('integer-like key');

function sortedCopy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return sortedCopy((v as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(v)) {
    const a = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) a[i] = sortedCopy(v[i]);
    return a;
  }
  const src = v as Record<string, unknown>;
  const keys = Object.keys(src).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (INDEX_KEY.test(k)) throw BAIL;
    if (k === '__proto__') Object.defineProperty(out, k, { value: sortedCopy(src[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = sortedCopy(src[k]);
  }
  return out;
}

export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(sortedCopy(value)) ?? 'null';
  } catch (err) {
    if (err !== BAIL) throw err;
    return explicit(value);
  }
}

function explicit(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return explicit((value as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : explicit(v))).join(',')}]`;
  }
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    parts.push(`${JSON.stringify(k)}:${explicit(v)}`);
  }
  return `{${parts.join(',')}}`;
}
