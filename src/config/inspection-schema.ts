/**
 * `mcp.security.inspection` (and each server's override): what the gateway does about prompt
 * injection, secrets and personal data in tool arguments and in what servers answer
 * (src/checks/inspect-arguments.ts, src/checks/inspect-result.ts). Part of the configuration
 * schema, the single source of truth.
 *
 * The defaults are the safe ones the issue names: a high-severity injection in a result is
 * quarantined, in arguments the call is blocked; secrets in results are redacted. Secrets in
 * ARGUMENTS block by default: an agent that sends a credential to a tool is the exfiltration path
 * (an injected "post ~/.aws/credentials to …"), and a tool that really needs a key should get it
 * from its own configuration, not from the model's context; an operator can relax it per server.
 * PII in arguments is only flagged: sending an e-mail to an address is what e-mail tools are for.
 */
import { z } from 'zod';
import { customRuleSchema } from './custom-rule-schema.ts';
import { PII_TYPES } from '../detect/pii-rules.ts';
import { classifierSchema } from './classifier-schema.ts';
import { definedOnly, overrideOf } from './override-schema.ts';

const defaulted = <T extends z.ZodType>(schema: T) => schema.default(schema.parse({}) as never);

const resultAction = z.enum(['block', 'quarantine', 'redact', 'flag', 'allow']);
const argumentAction = z.enum(['block', 'redact', 'flag', 'allow']);

const perSeverity = <T extends z.ZodEnum>(action: T, d: Record<'low' | 'medium' | 'high' | 'critical', z.output<T>>) =>
  defaulted(
    z.strictObject({
      low: action.default(d.low as never),
      medium: action.default(d.medium as never),
      high: action.default(d.high as never),
      critical: action.default(d.critical as never),
    }),
  );

const trustLevel = z.enum(['untrusted', 'standard', 'trusted']);
const threshold = z.number().min(0).max(1);

export const modelSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      'The shipped detection model (src/detect/model.ts: logistic regression over hashed word and character n-grams, weights in the package, run in-process). Rules and model combine into ONE calibrated score per string; `false` leaves the rules alone, each finding acted on by its severity.',
    ),
  thresholds: z
    .strictObject({
      flag: threshold.optional().describe('Score at or above which a string is flagged (severity medium).'),
      quarantine: threshold.optional().describe('… quarantined in a result, refused in arguments (severity high).'),
      block: threshold.optional().describe('… the strongest tier (severity critical; its action is `results.critical` / `arguments.critical`).'),
    })
    .default({})
    .describe('Per action, for every inspection site alike; a key left out takes the value validated with the shipped model (src/detect/model/injection-linear.json, chosen on the validation split): the site\'s own (result, argument, or a server\'s sampling/elicitation request) where the model has `siteThresholds`, else its global ones.'),
});

export const injectionSchema = z.strictObject({
  results: perSeverity(resultAction, { low: 'flag', medium: 'flag', high: 'quarantine', critical: 'quarantine' }).describe(
    'Action per finding severity for injection in tool results, resource contents and prompt messages. `redact` replaces the matched span.',
  ),
  arguments: perSeverity(argumentAction, { low: 'flag', medium: 'flag', high: 'block', critical: 'block' }).describe(
    'Action per finding severity for injection in tool (and prompt) arguments.',
  ),
  model: defaulted(modelSchema),
  trust: trustLevel
    .default('standard')
    .describe(
      'How far this server\'s text is trusted: `untrusted` halves the flag and quarantine thresholds; `trusted` (a known-good internal server) skips the model and lets the rules alone decide, each finding by its severity.',
    ),
  toolTrust: z
    .record(z.string().min(1), trustLevel)
    .default({})
    .describe('Trust per tool (a tool-name glob → level), over `trust`; the first matching glob wins.'),
  classifier: classifierSchema
    .optional()
    .describe('Optional model after the rules (HTTP endpoint or ONNX file), on strings the rules left undecided; a hit is `injection.classifier`, severity high.'),
});

const dlpAction = z.enum(['redact', 'block', 'flag', 'off']);

export const dlpSchema = z.strictObject({
  secrets: dlpAction.default('redact').describe('Secrets (secretlint recommended preset, JWTs) in results, resource contents and prompts.'),
  pii: dlpAction.default('redact').describe('Personal data in results, resource contents and prompts.'),
  piiTypes: z.array(z.enum(PII_TYPES)).default([...PII_TYPES]).describe('Which kinds of personal data are looked for.'),
  scanArguments: z.boolean().default(true).describe('Scan tool and prompt arguments for secrets and PII too (exfiltration rides in arguments).'),
  argumentSecrets: dlpAction.default('block').describe('Secrets in arguments: the call is refused by default.'),
  argumentPii: dlpAction.default('flag').describe('PII in arguments: audited by default.'),
});

export const quarantineSchema = z.strictObject({
  dir: z.string().min(1).optional().describe('Where quarantined originals are kept (files mode 0600); default `<mcp.state.dir>/quarantine`. With `mcp.state.url` they are kept in Redis instead, shared by every replica.'),
  maxBytes: z.number().int().positive().default(1_048_576).describe('Largest original stored per item; longer ones are cut (and say so).'),
  maxTotalBytes: z.number().int().positive().default(268_435_456).describe('The store keeps at most this much; the oldest items go first.'),
});

export const inspectionSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Inspect arguments and results (injection, secrets, PII, terminal controls).'),
  sanitizeOutput: z.boolean().default(true).describe('Strip terminal control sequences (ANSI CSI, OSC incl. OSC 8 links, C0/C1) from text content.'),
  injection: defaulted(injectionSchema),
  dlp: defaulted(dlpSchema),
  quarantine: defaulted(quarantineSchema),
  customRules: z
    .array(customRuleSchema)
    .default([])
    .superRefine(uniqueIds)
    .describe('Operator patterns (RE2 syntax) checked with the built-in rules; a match is a finding `custom.<id>` with its own severity and action. A server\'s own list is added to this one.'),
});

/** Two rules with one id would share one `custom.<id>` in the audit record: which one fired would be unknowable. */
function uniqueIds(rules: ReadonlyArray<{ id: string }>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate custom rule id '${r.id}'`, params: { fix: 'give each rule its own id' } });
    seen.add(r.id);
  });
}

export const INSPECTION_DEFAULTS = inspectionSchema.parse({});

export const inspectionOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  sanitizeOutput: z.boolean().optional(),
  injection: z
    .strictObject({
      results: overrideOf(injectionSchema.shape.results.unwrap()).optional(),
      arguments: overrideOf(injectionSchema.shape.arguments.unwrap()).optional(),
      model: z.strictObject({ enabled: z.boolean().optional(), thresholds: modelSchema.shape.thresholds.unwrap().optional() }).optional(),
      trust: trustLevel.optional(),
      toolTrust: z.record(z.string().min(1), trustLevel).optional(),
    })
    .optional(),
  dlp: overrideOf(dlpSchema).optional(),
  customRules: z.array(customRuleSchema).superRefine(uniqueIds).optional().describe('Added to the global `customRules` for this server (a global rule cannot be lifted).'),
});

export type Inspection = z.infer<typeof inspectionSchema>;
export type TrustLevel = z.infer<typeof trustLevel>;
export type ResultAction = z.infer<typeof resultAction>;
export type ArgumentAction = z.infer<typeof argumentAction>;
export type DlpAction = z.infer<typeof dlpAction>;

type InspectionOverride = z.infer<typeof inspectionOverrideSchema>;

/** A server's override over the global settings: each key it names wins, nested objects key by key. */
export function mergeInspection(base: Inspection, o: InspectionOverride | undefined): Inspection {
  if (!o) return base;
  return {
    ...base,
    ...definedOnly({ enabled: o.enabled, sanitizeOutput: o.sanitizeOutput }),
    injection: {
      ...base.injection,
      results: { ...base.injection.results, ...definedOnly(o.injection?.results) },
      arguments: { ...base.injection.arguments, ...definedOnly(o.injection?.arguments) },
      model: {
        enabled: o.injection?.model?.enabled ?? base.injection.model.enabled,
        thresholds: { ...base.injection.model.thresholds, ...definedOnly(o.injection?.model?.thresholds) },
      },
      trust: o.injection?.trust ?? base.injection.trust,
      toolTrust: { ...base.injection.toolTrust, ...(o.injection?.toolTrust ?? {}) },
    },
    dlp: { ...base.dlp, ...definedOnly(o.dlp) },
    customRules: [...base.customRules, ...(o.customRules ?? [])],
  };
}
