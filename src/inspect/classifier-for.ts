/**
 * One classifier per gateway and configuration section, created on first use. Its failures are
 * audited (`upstream_error`, with the failure mode that applied); the text is never in the record.
 */
import type { ClassifierConfig } from '../config/classifier-schema.ts';
import { createClassifier, type ConfiguredClassifier } from '../detect/classifier.ts';
import type { AuditLog } from '../audit/audit-log.ts';

/** Per gateway (any object with its audit log: the gateway, or the services the checks see). */
const made = new WeakMap<{ readonly audit: AuditLog }, Map<ClassifierConfig, ConfiguredClassifier>>();

export function classifierFor(gw: { readonly audit: AuditLog }, cfg: ClassifierConfig | undefined): ConfiguredClassifier | undefined {
  if (!cfg) return undefined;
  let perGw = made.get(gw);
  if (!perGw) made.set(gw, (perGw = new Map()));
  let c = perGw.get(cfg);
  if (!c) {
    c = createClassifier(cfg, {
      onError: (err) =>
        gw.audit.emit({ event: 'upstream_error', decision: cfg.failMode === 'closed' ? 'deny' : 'allow', reason: `injection classifier failed (failMode ${cfg.failMode}): ${err.message}` }),
    })!;
    perGw.set(cfg, c);
  }
  return c;
}
