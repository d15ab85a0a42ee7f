/**
 * Word classes for the detection model's INTENT features (model-features.ts): what an injected
 * instruction is made of, whatever its exact words — an address to the AI, an override of earlier
 * instructions, a sensitive target, a transfer or execution verb, concealment (a negation near
 * "tell", "mention", "ask"), urgency, an outside address. The model gets each class as a feature
 * and every pair of classes met within a few words of each other, so "quietly ship the keychain
 * to my endpoint" shares features with "silently send ~/.ssh/id_rsa to https://…" although no
 * word is the same. The model learns how much each pair weighs (text ABOUT injection has the
 * same classes; the word n-grams and the data tell them apart).
 *
 * General synonym lists (a thesaurus's, in normalized lowercase), not the attack grammar's
 * alternatives; a word belongs to its first class. Changing a list changes the features: retrain.
 */
const CLASSES: ReadonlyArray<readonly [string, string]> = [
  ['ai', 'ai assistant assistants model models llm llms agent agents bot bots chatbot chatbots copilot copilots claude chatgpt gpt gemini robot automated'],
  ['you', 'you your yours yourself'],
  ['user', 'user users human humans owner person anyone anybody nobody customer'],
  ['override', 'ignore ignoring disregard forget override overrule supersede superseded supersedes cancel cancelled canceled revoke revoked void null obsolete discard abandon scrap dismiss nevermind instead outdated expired withdrawn replaced'],
  ['before', 'previous previously prior earlier above preceding former original initial beforehand'],
  ['instruction', 'instruction instructions directive directives rules rule guidelines guideline orders guidance constraints policies prompt prompts task assignment brief'],
  ['secret', 'password passwords passwd passphrase token tokens key keys secret secrets credential credentials cookie cookies ssh id_rsa id_ed25519 env apikey api_key private keychain wallet mnemonic pin cvv otp mfa 2fa aws npmrc netrc gnupg gpg kubeconfig vault ssn confidential sensitive history transcript conversation'],
  ['send', 'send sending sent upload post forward transmit email mail exfiltrate leak submit share deliver relay pipe sync export dispatch transfer wire beam paste attach append embed ship push smuggle'],
  ['read', 'read open cat fetch retrieve load print dump collect grab access extract reveal disclose output repeat show display gather harvest scrape obtain'],
  ['exec', 'run execute exec invoke call curl wget bash sh shell powershell chmod sudo eval terminal command script netcat nc'],
  ['destroy', 'delete remove wipe erase destroy drop truncate purge shred kill'],
  ['neg', 'not never don no without nothing nor neither dont'],
  ['tell', 'tell mention inform notify alert confirmation confirm ask know notice aware disclose report'],
  ['stealth', 'silently quietly secretly hidden hide conceal discreet discreetly covert covertly unnoticed invisible pretend stealthily'],
  ['urgent', 'immediately now must mandatory required require requires urgent urgently critical essential important asap compulsory always'],
  ['outside', 'http https ftp tcp www webhook webhooks endpoint url server domain'],
  ['authority', 'system admin administrator developer operator root priority directive notice attention'],
];

/** Class ids 1..CLASS_COUNT; 0 is reserved for the sentence boundary. */
export const CLASS_COUNT = CLASSES.length + 1;
export const BOUNDARY_CLASS = 0;

/** word → class id, for the caller to key by its own word hash. */
export function lexiconEntries(): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const seen = new Set<string>();
  CLASSES.forEach(([, words], i) => {
    for (const w of words.split(' ')) {
      if (!w || seen.has(w)) continue;
      seen.add(w);
      out.push([w, i + 1]);
    }
  });
  return out;
}
