/**
 * Inspection of any JSON value or text outside a call: the gateway's own argument and result
 * inspection (src/inspect/inspect-strings.ts over src/detect/), for hosts that hold data an MCP
 * tool answered or is about to be sent (the n8n Inspect node). Nothing is detected here: the
 * value's string leaves are read once by the same detectors, with the same per-category actions
 * the configuration gives `mcp.security.inspection`, and redactions are written back on a copy.
 *
 * `direction` chooses which of the configured actions apply: `result` (what a server answered:
 * secrets and PII redacted, high injection quarantined) or `argument` (what goes to a server:
 * high injection and secrets block). A quarantine outside the gateway has no store: it is
 * reported like a block, and the host decides what to do with the item.
 */
import { inspectionSchema, type Inspection } from '../config/inspection-schema.ts';
import type { Severity } from '../detect/finding.ts';
import { describe, inspectLeaves, type Direction } from '../inspect/inspect-strings.ts';
import { collectLeaves, withLeaves } from '../inspect/string-leaves.ts';

export interface InspectValueOptions {
  /** @default 'result' */
  direction?: Direction;
  /** `mcp.security.inspection` as in a configuration file; validated by the same schema, defaults filled in. */
  inspection?: unknown;
}

export interface InspectionFinding {
  rule: string;
  category: string;
  severity: Severity;
  /** JSON pointer into the value (`''` for a string value). */
  path?: string;
  action: 'block' | 'quarantine' | 'redact' | 'flag';
}

export interface InspectValueResult<T> {
  /** The value with every redaction applied (a copy; the input is not changed). */
  value: T;
  /** A finding whose action is block or quarantine: the value should not be used. */
  blocked: boolean;
  /** The finding that decided `blocked`. */
  rule?: string;
  redacted: boolean;
  findings: InspectionFinding[];
}

export class InspectionConfigError extends Error {
  override name = 'InspectionConfigError';
}

function parseInspection(raw: unknown): Inspection {
  const r = inspectionSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `inspection.${i.path.join('.')}: ${i.message}`).join('; ');
  throw new InspectionConfigError(`invalid inspection settings: ${issues}`);
}

export async function inspectValue<T>(value: T, opts: InspectValueOptions = {}): Promise<InspectValueResult<T>> {
  const cfg = parseInspection(opts.inspection);
  const dir = opts.direction ?? 'result';
  if (!cfg.enabled) return { value, blocked: false, redacted: false, findings: [] };
  const leaves = collectLeaves(value, '');
  const v = await inspectLeaves(leaves, cfg, dir);
  const why = v.block ?? v.quarantine;
  let out = value;
  if (v.changes.length) {
    // A string value is its own (only) leaf: its keys are empty.
    const whole = v.changes.find((c) => c.keys.length === 0);
    out = whole ? (whole.value as T) : withLeaves(value, v.changes);
  }
  return { value: out, blocked: Boolean(why), ...(why && { rule: why.rule }), redacted: v.changes.length > 0, findings: describe(v.acted) };
}
