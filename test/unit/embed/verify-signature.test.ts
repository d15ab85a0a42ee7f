/** verifySignature against what the gateway's webhook notifier really sends (notifiers.ts render). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configSchema } from '../../../src/config/schema.ts';
import { sign, targetsFromConfig } from '../../../src/monitor/notifiers.ts';
import { verifySignature } from '../../../src/monitor/verify-signature.ts';

const secret = 'n8n-shared-secret';
const alert = { id: '7', type: 'INJECTION_ATTEMPT_DETECTED', severity: 'critical', priority: 'P1', rule: 'injectionAttempts', message: 'x', time: '2026-12-07T00:00:00Z' };

function delivered(now: Date) {
  const config = configSchema.parse({ mcp: { security: { alerting: { notifiers: [{ type: 'webhook', url: 'http://127.0.0.1:1/hook', secret }] } } } });
  const [t] = targetsFromConfig(config);
  return t!.render({ id: 1, deliveryId: 'd-1', target: t!.id, body: JSON.stringify(alert), attempts: 0, createdAt: 0 } as never, now);
}

test('a delivery as the gateway signs it verifies; the timestamp is inside the MAC', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  const { headers, body } = delivered(now);
  const at = () => now.getTime();
  assert.deepEqual(verifySignature(secret, body, headers['x-portcullis-timestamp'], headers['x-portcullis-signature'], { now: at }), { ok: true });
  assert.deepEqual(verifySignature(secret, Buffer.from(body), headers['x-portcullis-timestamp'], headers['x-portcullis-signature'], { now: at }), { ok: true });
  const later = String(Number(headers['x-portcullis-timestamp']) + 1);
  assert.equal(verifySignature(secret, body, later, headers['x-portcullis-signature'], { now: at }).reason, 'mismatch');
});

test('wrong secret, changed body, missing headers and stale deliveries are refused, each with its reason', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  const { headers, body } = delivered(now);
  const ts = headers['x-portcullis-timestamp']!;
  const sig = headers['x-portcullis-signature']!;
  const at = () => now.getTime();
  assert.equal(verifySignature('other', body, ts, sig, { now: at }).reason, 'mismatch');
  assert.equal(verifySignature(secret, body.replace('critical', 'low'), ts, sig, { now: at }).reason, 'mismatch');
  assert.equal(verifySignature(secret, body, ts, undefined, { now: at }).reason, 'missing-signature');
  assert.equal(verifySignature(secret, body, undefined, sig, { now: at }).reason, 'missing-timestamp');
  assert.equal(verifySignature(secret, body, 'yesterday', sig, { now: at }).reason, 'bad-timestamp');
  assert.equal(verifySignature(secret, body, ts, sig, { now: () => now.getTime() + 301_000 }).reason, 'stale');
  assert.equal(verifySignature(secret, body, ts, sig.slice(0, -1), { now: at }).reason, 'mismatch');
  assert.equal(sign(secret, ts, body), sig);
});
