/**
 * One classifier per gateway and configuration section, created on first use. Its failures are
 * audited (`upstream_error`, with the failure mode that applied); the text is never in the record.
 */
import type { ClassifierConfig } from '../config/classifier-schema.ts';
import { createClassifier, type ConfiguredClassifier } from '../detect/classifier.ts';
import type { Gateway } from '../gateway/gateway.ts';

const made = new WeakMap<Gateway, Map<ClassifierConfig, ConfiguredClassifier>>();

export function classifierFor(gw: Gateway, cfg: ClassifierConfig | undefined): ConfiguredClassifier | undefined {
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
