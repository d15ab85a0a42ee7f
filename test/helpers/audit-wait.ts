/** Audit files are written in batches (every 100 ms): a test waits for the record it expects. */
import assert from 'node:assert/strict';
import type { RunningGateway } from './gateway-process.ts';

export async function waitForAudit(gw: RunningGateway, pred: (r: Record<string, unknown>) => boolean, ms = 5000): Promise<Record<string, unknown>> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    const hit = gw.audit().find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`no such audit record within ${ms} ms; events: ${gw.audit().map((r) => r.event).join(', ')}`);
}
