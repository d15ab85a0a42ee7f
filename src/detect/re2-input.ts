/**
 * What an RE2.Set pass reads of a string: its UTF-8 bytes, when that changes nothing.
 *
 * node-re2 turns a string argument into UTF-8 itself, allocating a Node Buffer in C++ on every
 * call, which costs more than `Buffer.from` (measured, CPU per DLP pass over a tools/call result's
 * `type` and 1 KB `text`: 14-21 -> 9 us for the bench's repeated character, 12-14 -> 5 us for
 * prose; no difference left at 16 KB, where the scan itself dominates). A set pass
 * returns only which patterns matched, not where, so the bytes may be handed over instead, as
 * long as they are the bytes node-re2 would have made. They are for every well-formed string
 * (surrogate pairs included: both write the code point's four bytes). A string holding a lone
 * surrogate is passed as it is: node-re2 writes one differently from Buffer.from (which writes
 * U+FFFD), and a set pass must read what the positional passes on the same string read.
 */

export function re2SetInput(text: string): string | Buffer {
  // isWellFormed: no lone surrogate (the engine's own check, no pattern to run).
  return text.isWellFormed() ? Buffer.from(text, 'utf8') : text;
}
