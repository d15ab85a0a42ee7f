/**
 * `policy explain` / `policy test`: the content inspection of the arguments, as steps after the
 * policy's own — each finding acted on, with its action and, for injection, the one score and
 * what decided it (the model or a rule) against the thresholds in force. The operator's
 * classifier is not contacted (explain works offline).
 */
import type { Inspection } from '../config/inspection-schema.ts';
import type { Step } from '../policy/argument-decision.ts';
import type { NameRef } from '../policy/name-match.ts';
import { thresholdsFor, trustFor } from './injection-decision.ts';
import { inspectLeaves } from './inspect-strings.ts';
import { collectLeaves } from './string-leaves.ts';

export async function inspectionSteps(cfg: Inspection, args: Record<string, unknown>, tool: NameRef): Promise<{ steps: Step[]; denied?: Step }> {
  if (!cfg.enabled) return { steps: [] };
  const v = await inspectLeaves(collectLeaves(args, '/arguments'), cfg, 'argument', undefined, tool);
  const trust = trustFor(cfg, tool);
  const t = thresholdsFor(cfg, trust, 'argument');
  const steps: Step[] = v.acted.map(({ finding: f, action }) => ({
    rule: `inspection: ${f.rule}`,
    argument: f.path,
    outcome: action === 'block' ? 'deny' : 'allow',
    reason:
      f.score !== undefined
        ? `${action}: score ${f.score} (rules + model, decided by ${f.rule === 'injection.model' ? 'the model' : `rule ${f.rule}`}; trust ${trust}; thresholds flag ${t.flag.toFixed(3)}, quarantine ${t.quarantine.toFixed(3)}, block ${t.block.toFixed(3)})`
        : `${action}: ${f.category} finding, severity ${f.severity}`,
  }));
  return { steps, denied: steps.find((s) => s.outcome === 'deny') };
}
