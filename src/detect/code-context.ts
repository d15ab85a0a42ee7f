/**
 * Does a string read as source code? Decides the `inCode` severity of the context-dependent code
 * rules (code-rules.ts): `${process.env.PORT}` inside a file a code-review tool receives is
 * ordinary, the same expression as a whole URL or file-name argument is built to be expanded.
 *
 * Two independent signs of a program are required (a declaration or control keyword at a line
 * start, a statement-ending `;` at a line end, an arrow function, a block opening after `)`), so
 * one sentence that happens to contain "=>" or start with "if" does not lower a finding. An
 * attacker who wraps a payload in code gets the low (flagged) severity; the unambiguous shapes
 * stay high whatever surrounds them.
 */
import RE2 from 're2';

const SIGNS = [
  String.raw`(?m)^[ \t]*(?:import|export|const|let|var|function|class|def|async|return|package|public|private|#include|from [\w.]+ import)\b`,
  String.raw`(?m);[ \t]*$`,
  String.raw`=>`,
  String.raw`\)[ \t]*\{`,
  String.raw`(?m)^[ \t]*(?:if|for|while|try)\b.*[:{][ \t]*$`,
];

let set: InstanceType<typeof RE2.Set> | undefined;

export function looksLikeCode(text: string): boolean {
  set ??= new RE2.Set(SIGNS, 'u');
  return set.match(text).length >= 2;
}
