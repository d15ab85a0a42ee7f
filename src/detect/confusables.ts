/**
 * Look-alike letters folded to the Latin letter they imitate, for matching only.
 *
 * A compact subset of Unicode's confusables.txt (UTS #39): the lowercase Cyrillic, Greek,
 * Armenian and Latin-extension letters that attackers mix into English words ("іgnоrе" with
 * Cyrillic і/о/е) so a keyword rule misses them. Fullwidth forms, mathematical alphanumerics,
 * circled and small-capital compatibility letters are already folded by NFKC, so they are not
 * listed. The full table (≈6k entries, most of them symbols) buys little for rules written in
 * Latin words; uppercase is absent because text is lowercased before folding.
 */
const PAIRS: ReadonlyArray<readonly [string, string]> = [
  // Cyrillic
  ['а', 'a'], ['в', 'b'], ['ь', 'b'], ['с', 'c'], ['ԁ', 'd'], ['е', 'e'], ['ё', 'e'], ['һ', 'h'],
  ['і', 'i'], ['ї', 'i'], ['ӏ', 'l'], ['ј', 'j'], ['к', 'k'], ['м', 'm'], ['п', 'n'], ['о', 'o'],
  ['р', 'p'], ['ԛ', 'q'], ['г', 'r'], ['ѕ', 's'], ['т', 't'], ['у', 'y'], ['ү', 'y'], ['ԝ', 'w'],
  ['х', 'x'], ['ɡ', 'g'], ['ԍ', 'g'],
  // Greek
  ['α', 'a'], ['β', 'b'], ['ε', 'e'], ['ϵ', 'e'], ['η', 'n'], ['ι', 'i'], ['κ', 'k'], ['ν', 'v'],
  ['ο', 'o'], ['ρ', 'p'], ['ϱ', 'p'], ['τ', 't'], ['υ', 'u'], ['χ', 'x'], ['ω', 'w'], ['γ', 'y'],
  // Armenian
  ['օ', 'o'], ['ս', 'u'], ['ո', 'n'], ['հ', 'h'], ['ց', 'g'], ['զ', 'q'],
  // Latin extensions and IPA that survive NFKC
  ['ı', 'i'], ['ɩ', 'i'], ['ɪ', 'i'], ['ȷ', 'j'], ['ɑ', 'a'], ['ɒ', 'a'], ['ɛ', 'e'], ['ɔ', 'o'],
  ['ʀ', 'r'], ['ʏ', 'y'], ['ʋ', 'v'], ['ɯ', 'w'], ['ƅ', 'b'], ['ɢ', 'g'], ['ʜ', 'h'], ['ʟ', 'l'],
  ['ɴ', 'n'], ['ꜱ', 's'], ['ᴀ', 'a'], ['ᴄ', 'c'], ['ᴅ', 'd'], ['ᴇ', 'e'], ['ᴊ', 'j'], ['ᴋ', 'k'],
  ['ᴍ', 'm'], ['ᴏ', 'o'], ['ᴘ', 'p'], ['ᴛ', 't'], ['ᴜ', 'u'], ['ᴠ', 'v'], ['ᴡ', 'w'], ['ᴢ', 'z'],
];

export const CONFUSABLES: ReadonlyMap<number, string> = new Map(PAIRS.map(([from, to]) => [from.codePointAt(0)!, to]));
