/**
 * Skipping a JSON string in raw bytes, for the scans that run before (safe-json.ts: nesting
 * depth) or beside (splice.ts: the result's extent) JSON.parse. Most of a large message is the
 * inside of a few long strings; those are searched natively instead of byte by byte.
 */

/** Past this many bytes without a quote or backslash a string is searched natively. */
const SHORT_STRING = 64;

/**
 * Where the string whose opening quote is at `open` ends (the index of its closing quote, or -1).
 * A byte loop over the next SHORT_STRING bytes (keys and most values of structured results: a
 * native call per string cost more than the string), then native indexOf to the next quote, and
 * the byte loop again after an escaped one (JSON text inside a string escapes every quote).
 */
export function stringEnd(buf: Buffer, open: number): number {
  const n = buf.length;
  let i = open + 1; // always the start of a character, never the byte after a backslash
  for (;;) {
    const lim = Math.min(n, i + SHORT_STRING);
    for (; i < lim; i++) {
      const c = buf[i];
      if (c === 0x22) return i;
      if (c === 0x5c) i++; // the escaped byte
    }
    if (i >= n) return -1;
    const q = buf.indexOf(0x22, i);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let k = q - 1; k >= i && buf[k] === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}
