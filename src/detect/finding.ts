/**
 * What every content detector reports: tool-definition poisoning (pinning issue), injection in
 * traffic, secrets and PII. One shape, so policy decides per category and severity in one place
 * and the audit record, the quarantine store and `npm run eval:detect` read the same thing.
 */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };

export type FindingCategory =
  | 'poisoning' // hidden instructions in a tool/prompt description
  | 'shadowing' // a description that names or redefines another server's tool
  | 'rug-pull' // a pinned definition that changed
  | 'injection' // prompt injection in arguments, results, resources, prompt messages
  | 'secret' // credentials, keys, tokens
  | 'pii' // e-mail, phone, card, IBAN, national IDs
  | 'obfuscation' // invisible Unicode, bidi/ANSI control, padding, encoded blobs
  | 'custom' // the operator's inspection.customRules (src/inspect/custom-rules.ts)
  | 'metadata'; // icons and `_meta` URLs pointing off the server (detect/metadata-urls.ts)

export interface Finding {
  category: FindingCategory;
  /** Stable rule id, e.g. `injection.ignore-previous`, `secret.aws-access-key`. */
  rule: string;
  severity: Severity;
  /** Where: a JSON pointer into the message or definition (`/content/0/text`, `/inputSchema/properties/q/description`). */
  path?: string;
  /** Offsets into the original string at `path`, when the detector knows them (redaction needs them). */
  start?: number;
  end?: number;
  /** A short, already-sanitized excerpt for the audit record; never a whole secret. */
  excerpt?: string;
  /** Injection: the combined rules + model score 0..1 that decided (src/detect/injection-score.ts). */
  score?: number;
}

export function maxSeverity(findings: readonly Finding[]): Severity | undefined {
  let best: Severity | undefined;
  for (const f of findings) if (!best || SEVERITY_RANK[f.severity] > SEVERITY_RANK[best]) best = f.severity;
  return best;
}
