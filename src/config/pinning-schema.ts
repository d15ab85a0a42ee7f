/**
 * `mcp.security.pinning`: tool, prompt, resource, resource-template, server-instructions and
 * server-launch pinning (rug pulls), and the policy for findings of the poisoning scan
 * (src/pins/, src/detect/poisoning.ts, src/detect/metadata-urls.ts). Part of the configuration schema, the single source of truth.
 *
 * Safe by default: pinning is on (trust on first use), and a definition with a high or critical
 * poisoning finding is hidden and uncallable until an operator approves it (`portcullis pins
 * approve`). A server may relax the poisoning policy or turn pinning off for itself only.
 */
import { z } from 'zod';
import { definedOnly } from './override-schema.ts';

const action = z.enum(['block', 'flag', 'allow']);

export const POISONING_DEFAULTS = {
  enabled: true,
  actions: { low: 'allow', medium: 'flag', high: 'block', critical: 'block' },
  ignoreRules: [],
} as const;

const actionsSchema = z
  .strictObject({
    low: action.default('allow'),
    medium: action.default('flag'),
    high: action.default('block'),
    critical: action.default('block'),
  })
  .describe('Per finding severity: `block` hides the definition (uncallable) until approved, `flag` audits it and still lists it, `allow` ignores it.');

const poisoningSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Scan tool, prompt, resource and resource-template definitions and each server's instructions and serverInfo at registration and on every change; icons that would leave the server's origin are stripped."),
  actions: actionsSchema.default(POISONING_DEFAULTS.actions),
  ignoreRules: z
    .array(z.string().min(1))
    .default([])
    .describe('Finding rule ids to ignore (e.g. `poisoning.sensitive-path` for an SSH server whose tools honestly name ~/.ssh; `metadata.foreign-icon` keeps its icons from other hosts).'),
});

export const pinningSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("Pin every tool, prompt, resource and resource template, each server's instructions and serverInfo, and the server launch; hide a definition that changed (withhold changed instructions) until an operator approves it."),
  mode: z
    .enum(['tofu', 'lockfile'])
    .default('tofu')
    .describe('`tofu`: trust on first use, pins kept in `mcp.state.dir`/pins.json. `lockfile`: only what the committed lockfile pins is trusted; anything new waits for `portcullis pins approve`.'),
  lockfile: z.string().min(1).default('./portcullis.pins.json').describe('The operator-committed lockfile (`portcullis pins lock` writes it; `pins approve` updates it in lockfile mode).'),
  launch: z.boolean().default(true).describe('Pin how each server is started (stdio: command, args, env names, cwd; HTTP: URL and header names); a changed launch keeps the server stopped until approved.'),
  poisoning: poisoningSchema.default({ ...POISONING_DEFAULTS, actions: { ...POISONING_DEFAULTS.actions }, ignoreRules: [] }),
});

export const PINNING_DEFAULTS = pinningSchema.parse({});

/** Per server: switch pinning off for it, or relax its poisoning policy. Nothing defaulted. */
export const pinningOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  poisoning: z
    .strictObject({
      enabled: z.boolean().optional(),
      actions: z.strictObject({ low: action.optional(), medium: action.optional(), high: action.optional(), critical: action.optional() }).optional(),
      ignoreRules: z.array(z.string().min(1)).optional().describe('Added to the global list.'),
    })
    .optional(),
});

export type Pinning = z.infer<typeof pinningSchema>;
export type PinningOverride = z.infer<typeof pinningOverrideSchema>;


export function mergePinning(base: Pinning, o: PinningOverride | undefined): Pinning {
  if (!o) return base;
  const p = o.poisoning;
  return {
    ...base,
    enabled: o.enabled ?? base.enabled,
    poisoning: {
      enabled: p?.enabled ?? base.poisoning.enabled,
      actions: { ...base.poisoning.actions, ...definedOnly(p?.actions) },
      ignoreRules: [...base.poisoning.ignoreRules, ...(p?.ignoreRules ?? [])],
    },
  };
}
