/**
 * The pattern rules of the tool-description poisoning scan (poisoning.ts), compiled into ONE
 * `re2` RE2.Set so each string is matched in a single linear-time pass, whatever a hostile
 * server sends (no backtracking regex ever sees server text).
 *
 * Sources of the patterns: Invariant Labs, "MCP Security Notification: Tool Poisoning Attacks"
 * (2025-04: `<IMPORTANT>` blocks that read `~/.cursor/mcp.json` / `~/.ssh/id_rsa` and pass it as
 * a side parameter, "do not mention this to the user"; the `send_email` shadowing example; the
 * WhatsApp MCP "sleeper" that rewrites the recipient), MCPTox (Wang et al. 2025: explicit
 * trigger/function-hijacking/implicit-parameter-tampering templates) and Trail of Bits' "jumping
 * the line" posts (instructions in descriptions acting before any call). Benign look-alikes come
 * from the reference servers (test/fixtures/detect/poisoning/benign-*.jsonl): each rule is
 * written so that none of them fires on a real description.
 *
 * Severity: `critical` is an unmistakable attack; `high` blocks by default (an instruction aimed
 * at the model, a sensitive path being read, an exfiltration channel); `medium` is flagged (odd,
 * and worth a look, but seen in honest descriptions).
 */
import RE2 from 're2';
import type { FindingCategory, Severity } from './finding.ts';

export interface PatternRule {
  id: string;
  category: FindingCategory;
  severity: Severity;
  pattern: string;
}

// Fragments, kept readable: RE2 syntax (no lookaround, no backreferences).
const SENSITIVE = String.raw`(?:~/\.ssh|\.ssh/|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\bmcp\.json\b|\.cursor/|claude_desktop_config|/etc/(?:passwd|shadow|sudoers)\b|\.aws/credentials|\.git-credentials|\.netrc\b|\.npmrc\b|\.pypirc\b|\.kube/config|\.docker/config\.json|wallet\.dat|\bcredentials\.json\b|(?:^|[\s'"\x60(/~])\.env\b|\bprivate[_ ]key\b|\bseed phrase\b|\bkeychain\b)`;
const READ_VERB = String.raw`(?:read|cat|open|load|access|fetch|get|retrieve|include|pass|send|upload|attach|copy|print|dump|extract|collect|grab|list)`;
const USER = String.raw`(?:the |this |your )?user`;
const TOOL_WORD = String.raw`(?:tool|function|command|server)`;

export const PATTERN_RULES: readonly PatternRule[] = [
  // Hidden instructions: markup that only the model reads.
  { id: 'poisoning.hidden-tag', category: 'poisoning', severity: 'high', pattern: String.raw`<\s*/?\s*(?:important|system|instructions?|secret|hidden|admin|sudo|override|critical|urgent|note[-_ ]to[-_ ](?:ai|assistant|model|llm)|assistant[-_ ]only|ai[-_ ]only|context|rules?)\s*>` },
  { id: 'poisoning.html-comment-instruction', category: 'poisoning', severity: 'high', pattern: String.raw`<!--[^>]{0,400}\b(?:you|assistant|model|ai|must|always|never|ignore)\b` },
  { id: 'poisoning.conceal-from-user', category: 'poisoning', severity: 'critical', pattern: String.raw`(?:do not|don'?t|never|must not|should not|shouldn'?t|without)\s+(?:ever\s+)?(?:tell(?:ing)?|mention(?:ing)?|inform(?:ing)?|reveal(?:ing)?|show(?:ing)?|disclos(?:e|ing)|notify(?:ing)?|alert(?:ing)?|let(?:ting)?|explain(?:ing)?|report(?:ing)?)\s+(?:this\s+|it\s+|that\s+|anything\s+)?(?:to\s+)?${USER}` },
  { id: 'poisoning.conceal-from-user', category: 'poisoning', severity: 'critical', pattern: String.raw`(?:hide|keep|conceal)\s+(?:this|it|these|the \w+)\s+(?:secret\s+|hidden\s+)?from\s+${USER}|${USER}\s+(?:must|should|will)\s+(?:not|never)\s+(?:know|see|notice|be told|find out)|(?:user|they)\s+(?:doesn'?t|don'?t|does not|do not) need to know` },
  { id: 'poisoning.conceal', category: 'poisoning', severity: 'high', pattern: String.raw`(?:do not|don'?t|never|must not)\s+(?:ever\s+)?(?:mention|reveal|disclose|say|admit|acknowledge|explain)\s+(?:that|this|it|anything about|the fact)\b|(?:silently|secretly|quietly|covertly)\s+(?:read|send|call|invoke|include|pass|forward|copy|upload|add)` },
  { id: 'poisoning.ignore-instructions', category: 'poisoning', severity: 'critical', pattern: String.raw`(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|above|earlier|other|existing|original|system|safety|security)\s+(?:instructions|prompts?|rules|directions|guidelines|guardrails|policies|constraints)` },
  { id: 'poisoning.precondition', category: 'poisoning', severity: 'high', pattern: String.raw`before\s+(?:using|calling|invoking|running|executing|you use|you call)\s+(?:this|any|the|each|every)\s+(?:\w+\s+)?${TOOL_WORD}s?\b[^.]{0,40}?\b(?:read|open|fetch|cat|load|send|pass|include|call|invoke|run|execute|look up|retrieve)\b` },
  { id: 'poisoning.threat', category: 'poisoning', severity: 'high', pattern: String.raw`otherwise\s+(?:the|this)\s+(?:tool|function|system|application|server)\s+(?:will|would|may)\s+(?:not work|fail|crash|break|stop working)` },
  { id: 'poisoning.consent-bypass', category: 'poisoning', severity: 'high', pattern: String.raw`(?:no need to|do not|don'?t|never)\s+(?:ask|confirm|check)\s+(?:with\s+)?(?:the\s+)?user|without\s+(?:asking|confirming with|the consent of|the user'?s? (?:consent|approval|knowledge))|${USER}\s+(?:has\s+)?(?:already\s+)?(?:approved|consented|authori[sz]ed)\s+(?:this|it|all)` },
  { id: 'poisoning.address-model', category: 'poisoning', severity: 'high', pattern: String.raw`(?:note|message|instructions?)\s+(?:to|for)\s+(?:the\s+)?(?:ai|assistant|model|llm|agent)\b|\b(?:you are now|from now on,? you|new instructions?:|act as (?:an? )?(?:admin|root|developer|system))` },
  { id: 'poisoning.invoke-other-tool', category: 'poisoning', severity: 'high', pattern: String.raw`(?:you must|always|first|immediately|also|must also|be sure to|make sure to)\s+(?:call|invoke|run|execute|use)\s+(?:the\s+)?[\x60'"]?[a-z0-9]+[_-][a-z0-9_-]+[\x60'"]?\s+(?:tool|function)?[^.]{0,60}\b(?:with|passing|and pass|to send|including)\b` },
  // Shadowing: a description that changes how ANOTHER tool behaves.
  { id: 'shadowing.side-effect', category: 'shadowing', severity: 'high', pattern: String.raw`(?:has|have)\s+(?:an?\s+)?(?:very\s+)?(?:important|critical|crucial)\s+side[- ]effects?\s+on` },
  { id: 'shadowing.use-instead', category: 'shadowing', severity: 'high', pattern: String.raw`(?:use|call|prefer)\s+this\s+(?:tool|function)\s+instead|instead\s+of\s+(?:using\s+|calling\s+)?(?:the\s+)?(?:other|original|regular|built-?in|\S+\s+tool)\b[^.]{0,40}\b(?:use|call)\s+this|(?:when(?:ever)?|if)\s+${USER}\s+(?:asks?|wants?|requests?|tries)\s+to\s+[^.]{0,80}\b(?:use|call|invoke)\s+this\s+(?:tool|function)` },
  { id: 'shadowing.false-deprecation', category: 'shadowing', severity: 'high', pattern: String.raw`(?:no longer works?|is (?:deprecated|broken|disabled|unavailable|unsafe))\b[^.]{0,80}\b(?:use|call)\s+this\s+(?:tool|function)|always\s+(?:use|call)\s+this\s+(?:tool|function)\b[^.]{0,80}\binstead` },
  { id: 'shadowing.parameter-tampering', category: 'shadowing', severity: 'high', pattern: String.raw`(?:when(?:ever)?\s+(?:calling|using|invoking)\s+(?:any|every|the\s+\S+)\s+tool)[^.]{0,80}\b(?:must|should|has to|needs to)\s+be\s+(?:replaced|set|changed|rewritten|redirected)|(?:regardless of|no matter) what the user (?:says|asks|wants|specifies)` },
  { id: 'shadowing.redirect', category: 'shadowing', severity: 'high', pattern: String.raw`(?:change|set|replace|redirect|rewrite|modify|override)\s+(?:the\s+)?(?:recipient|destination|to[- ]address|email address|phone number|receiver|account number|iban|wallet address)|(?:all|every|any)\s+(?:e-?mails?|messages?|payments?|transfers?|requests?)\s+(?:must|should|have to|need to)\s+(?:be\s+)?(?:sent|forwarded|copied|redirected|routed)\s+to|\bproxy\s+number\b|(?:bcc|cc|forward(?:ed)?)\s+(?:a copy\s+)?(?:of\s+(?:all|every|each)\s+\w+\s+)?to\s+\S+@\S+` },
  { id: 'shadowing.modify-other-tools', category: 'shadowing', severity: 'high', pattern: String.raw`(?:all|any|every|the)\s+other\s+tools?\s+(?:must|should|need to|have to|will)|when\s+(?:the\s+)?[\x60'"]?[a-z0-9]+[_-][a-z0-9_-]+[\x60'"]?\s+(?:tool\s+)?is\s+(?:called|invoked|used)` },
  // Sensitive files and exfiltration channels.
  { id: 'poisoning.sensitive-path-read', category: 'poisoning', severity: 'high', pattern: `${READ_VERB}\\b[^.\\n]{0,80}${SENSITIVE}` },
  { id: 'poisoning.sensitive-path', category: 'poisoning', severity: 'medium', pattern: SENSITIVE },
  { id: 'poisoning.exfil-parameter', category: 'poisoning', severity: 'high', pattern: String.raw`pass\s+(?:its|the|their|all|this|that|your|the full|the entire)\s+(?:\w+\s+)?(?:content|contents|data|text|output|value|result)s?\s+(?:as|in|into|via|through)\b|(?:include|put|place|embed|append|insert|add|copy)\s+(?:the\s+|its\s+|their\s+)?(?:full\s+|entire\s+|complete\s+|whole\s+)?(?:content|contents|text|data|output|value)s?\s+(?:of\s+[^.]{0,60}\s+)?(?:in|into|as|to)\s+(?:the\s+)?[\x60'"]?\w+[\x60'"]?\s+(?:parameter|argument|field|param)` },
  { id: 'poisoning.exfil-url', category: 'poisoning', severity: 'high', pattern: String.raw`(?:send|post|upload|transmit|forward|exfiltrate|report|leak|beacon)\s+(?:it|them|this|that|everything|all\s+\w+|the\s+\w+(?:\s+\w+)?)\s+(?:back\s+)?to\s+(?:https?://|ftp://|\S+\.(?:com|net|org|io|xyz|ru|cn|tk)\b)` },
  { id: 'poisoning.exfil-history', category: 'poisoning', severity: 'high', pattern: String.raw`(?:include|send|pass|append|attach|copy|post|upload|forward|write|add|put)\b[^.]{0,60}\b(?:conversation|chat|message)\s+(?:history|log|transcript)|(?:entire|full|complete|whole)\s+(?:previous\s+)?(?:conversation|chat)\b[^.]{0,40}\b(?:as|in|into|to)\b` },
  { id: 'poisoning.exfil-credentials', category: 'poisoning', severity: 'high', pattern: String.raw`(?:pass|send|include|provide|append|attach|forward|upload|put|add)\s+[^.]{0,30}\b(?:api[ _-]?keys?|passwords?|secrets?|access tokens?|credentials|private keys?|card numbers?|cvv|ssh keys?)\b[^.]{0,60}\b(?:as|in|into|to)\s+(?:the\s+|every\s+)?[\x60'"]?[\w-]+[\x60'"]?\s+(?:parameter|argument|field|param|request)|(?:api[ _-]?keys?|passwords?|credentials|private keys?)\s+(?:\w+\s+){0,4}to\s+https?://` },
  // Encoded blobs: long base64 or hex runs hide text from a human reviewer.
  { id: 'obfuscation.encoded-blob', category: 'obfuscation', severity: 'medium', pattern: String.raw`[A-Za-z0-9+/]{80,}={0,2}|(?:[0-9a-fA-F]{2}){48,}` },
];

export const PATTERN_SET: InstanceType<typeof RE2.Set> = new RE2.Set(
  PATTERN_RULES.map((r) => r.pattern),
  'iu',
);
