/**
 * `inspection.customRules`: the operator's own patterns, checked with the built-in rules on every
 * argument and result string (src/inspect/custom-rules.ts). An internal token format, a project
 * code name that must not leave, a command shape one tool must never receive.
 *
 * Patterns are RE2 (linear time on hostile text: they run on whatever servers and agents send),
 * compiled here at load so a pattern RE2 cannot take (a backreference, a lookaround) stops
 * `portcullis check` and start-up with the key and the fix, never a rule silently skipped.
 */
import RE2 from 're2';
import { z } from 'zod';

const RE2_FIX = 'write it in RE2 syntax (https://github.com/google/re2/wiki/Syntax): no backreferences (\\1), no lookahead or lookbehind ((?=, (?!, (?<=, (?<!); use (?i) for case-insensitive';

/** The RE2 compile error of a pattern, or undefined when it compiles. */
export function re2Problem(pattern: string): string | undefined {
  try {
    new RE2(pattern, 'u');
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export const customRuleSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'lowercase letters, digits, `.`, `_`, `-`; at most 64')
    .describe('Reported as `custom.<id>` in the audit record and as the redaction label `[REDACTED:<id>]`.'),
  pattern: z
    .string()
    .min(1)
    .max(4096)
    .superRefine((p, ctx) => {
      const problem = re2Problem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: `not a valid RE2 pattern: ${problem}`, params: { fix: RE2_FIX } });
    })
    .describe('RE2 syntax, matched against each string as sent (not lowercased: use `(?i)`).'),
  severity: z.enum(['low', 'medium', 'high', 'critical']).describe('Used for the action when `action` is not given (the injection action table of the direction), and in the audit record.'),
  action: z
    .enum(['block', 'quarantine', 'redact', 'flag'])
    .optional()
    .describe('What a match does; in arguments `quarantine` blocks. Default: the `injection.results` / `injection.arguments` action for `severity`.'),
  appliesTo: z.enum(['arguments', 'results', 'both']).default('both').describe('Tool/prompt arguments, results (and resource contents, prompt messages, server requests), or both.'),
  tools: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Only calls of these tools (globs, any spelling, case-folded as deny rules); default every tool. A rule with `tools` does not apply where no tool is named (resources, server requests).'),
});

export type CustomRule = z.infer<typeof customRuleSchema>;
