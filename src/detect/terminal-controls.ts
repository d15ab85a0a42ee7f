/**
 * Output sanitization: terminal control sequences out of text the agent (and a person watching a
 * terminal) will read. A tool result can recolour, hide (SGR 8, "conceal"), overwrite (CR, cursor
 * moves, erase), retitle the window (OSC 0/2), write the clipboard (OSC 52) or plant a link whose
 * text differs from its target (OSC 8) — ANSI escapes in MCP output were shown to hide
 * instructions from the human while the model still reads them (Trail of Bits, "Deceiving users
 * with ANSI terminal codes in MCP", 2025).
 *
 * Removed: CSI (`ESC [` … final byte, and the 8-bit CSI 0x9B), OSC (`ESC ]` … BEL or ST, and
 * 0x9D; an unterminated one to the end of the string, since a terminal would swallow it too),
 * DCS/SOS/PM/APC strings, other two-byte escapes, every C0 control except TAB and LF, a CR not
 * followed by LF (it returns the cursor to overwrite the line), DEL and the C1 controls. One RE2
 * pass; the string is returned as it was (same reference) when nothing matched.
 */
import RE2 from 're2';

const CONTROLS = new RE2(
  [
    String.raw`(?:\x1b\[|\x{9b})[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?`, // CSI
    String.raw`(?:\x1b[\]PX^_]|[\x{9d}\x{90}\x{98}\x{9e}\x{9f}])[^\x07\x1b\x{9c}]*(?:\x07|\x1b\\|\x{9c})?`, // OSC, DCS, SOS, PM, APC
    String.raw`\x1b[\x20-\x2f]*[\x30-\x7e]?`, // other escapes (ESC 7, ESC ( B, ESC c)
    String.raw`\r[^\n]|\r$`, // CR that does not end a line
    String.raw`[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\x{80}-\x{9f}]`, // remaining C0, DEL, C1
  ].join('|'),
  'gu',
);

/**
 * Quick test before any replacement: is there a control character at all? One character class,
 * no quantifier: V8's matcher scans it in linear time (nothing to backtrack), at under half the
 * cost of RE2's (which copies the string to UTF-8 first): 0.55 against 1.3 µs per KB measured.
 * The class is RE2's `[\x00-\x08\x0b-\x1f\x7f\x{80}-\x{9f}]` in UTF-16 units: every code point
 * in it is one unit, and a surrogate (RE2 reads a lone one as U+FFFD) is in neither.
 */
const ANY = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

export function stripTerminalControls(text: string): string {
  if (!ANY.test(text)) return text;
  // A lone CR takes the character after it along in the match: put that character back.
  return text.replace(CONTROLS, (m: string) => (m.length === 2 && m[0] === '\r' ? m[1]! : ''));
}
