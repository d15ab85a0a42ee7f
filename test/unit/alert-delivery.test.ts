/**
 * Alert delivery to a real HTTP receiver: signed generic webhooks, Slack and Discord payloads,
 * retries with back-off while the receiver is down, delivery once it is back, and messages that
 * survive a restart in the on-disk queue. The clock is injected; the network is real.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigText } from '../../src/config/load.ts';
import type { Alert } from '../../src/monitor/alert-engine.ts';
import { Delivery } from '../../src/monitor/delivery.ts';
import { discordPayload, slackPayload, targetsFromConfig } from '../../src/monitor/notifiers.ts';
import { Outbox } from '../../src/monitor/outbox.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const root = mkdtempSync(join(tmpdir(), 'portcullis-delivery-'));
const receivers: WebhookReceiver[] = [];
// A failed assertion must not leave a receiver listening (the test process would never end).
after(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  rmSync(root, { recursive: true, force: true });
});
async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.reserve();
  receivers.push(r);
  return r;
}
const SECRET = 'a-webhook-secret-of-some-length';

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: '7d3c2d9e-0000-4000-8000-000000000001',
  type: 'INJECTION_ATTEMPT_DETECTED',
  rule: 'injectionAttempts',
  severity: 'critical',
  priority: 'P1',
  group: 'injectionAttempts|web/fetch',
  message: 'MCP injection attempt detected. Tool: <!channel> @everyone fetch on web.',
  data: { count: 1 },
  suppressed: 0,
  time: '2025-03-01T12:00:00.000Z',
  ...over,
});

function setup(receiver: WebhookReceiver, dbName: string, extra = '') {
  const config = loadConfigText(`mcp:
  security:
    alerting:
      delivery: { initialBackoffSeconds: 2, maxBackoffSeconds: 60, timeoutSeconds: 2, maxAgeHours: 1 }
      notifiers:
        - { type: webhook, url: "${receiver.url('/generic')}", secret: "${SECRET}", headers: { x-team: sec } }
        - { type: slack, url: "${receiver.url('/slack')}" }
        - { type: discord, url: "${receiver.url('/discord')}", minSeverity: high }
${extra}`).config;
  const targets = targetsFromConfig(config);
  const clock = { now: Date.UTC(2025, 2, 1, 12, 0, 0) };
  const logs: string[] = [];
  const outbox = new Outbox(join(root, dbName));
  const delivery = new Delivery({ outbox, targets, config: config.mcp.security.alerting.delivery, clock: () => clock.now, log: (l, m, f) => logs.push(`${l}: ${m} ${JSON.stringify(f ?? {})}`) });
  const enqueue = (a: Alert) => {
    for (const t of targets) outbox.enqueue(t.id, 'alert', JSON.stringify(a), clock.now);
  };
  return { targets, clock, outbox, delivery, enqueue, logs };
}

describe('alert delivery', () => {
  it('signs generic webhooks (HMAC-SHA256 over timestamp and body), formats Slack and Discord', async () => {
    const rx = await receiver();
    await rx.start();
    const s = setup(rx, 'formats.db');
    s.enqueue(alert());
    await s.delivery.tick();
    assert.equal(s.outbox.pending(), 0);
    const generic = await rx.waitFor((r) => r.path === '/generic');
    const ts = String(generic.headers['x-portcullis-timestamp']);
    assert.equal(generic.headers['x-portcullis-signature'], `sha256=${createHmac('sha256', SECRET).update(`${ts}.${generic.body}`).digest('hex')}`);
    assert.equal(generic.headers['x-team'], 'sec');
    assert.match(String(generic.headers['x-portcullis-delivery']), /^[0-9a-f-]{36}$/);
    assert.equal((generic.json.alert as Alert).type, 'INJECTION_ATTEMPT_DETECTED');
    const slack = await rx.waitFor((r) => r.path === '/slack');
    assert.match(String(slack.json.text), /\[P1 CRITICAL\] INJECTION_ATTEMPT_DETECTED/);
    assert.equal(slack.body.includes('<!channel>'), false, 'Slack control sequences are escaped');
    assert.ok(Array.isArray(slack.json.blocks));
    const discord = await rx.waitFor((r) => r.path === '/discord');
    assert.deepEqual(discord.json.allowed_mentions, { parse: [] }, 'no mention can come out of audit text');
    assert.equal((discord.json.embeds as { title: string }[])[0].title, 'INJECTION_ATTEMPT_DETECTED');
    s.outbox.close();
    await rx.stop();
  });

  it('minSeverity filters per notifier (the caller queues only what passes)', () => {
    const config = loadConfigText('mcp: { security: { alerting: { notifiers: [{ type: discord, url: "http://127.0.0.1:1/x", minSeverity: high }] } } }').config;
    assert.equal(targetsFromConfig(config)[0].minSeverity, 'high');
    assert.equal(slackPayload(alert({ severity: 'medium', priority: 'P3' })).text !== undefined, true);
    assert.equal((discordPayload(alert()).embeds as unknown[]).length, 1);
  });

  it('a receiver that is down gets the alert when it comes back, with back-off in between', async () => {
    const rx = await receiver();
    const s = setup(rx, 'down-up.db');
    s.enqueue(alert());
    await s.delivery.tick(); // refused: retry in ~2 s
    assert.equal(s.outbox.pending(), 3);
    assert.match(s.logs.join('\n'), /will retry/);
    await s.delivery.tick();
    assert.equal(rx.received.length, 0, 'not retried before its back-off');
    s.clock.now += 3_000;
    await s.delivery.tick(); // refused again: retry in ~4 s
    await rx.start();
    s.clock.now += 2_000;
    await s.delivery.tick();
    assert.equal(rx.received.length, 0, 'the second back-off (about 4 s) is not over');
    s.clock.now += 3_000;
    await s.delivery.tick();
    assert.equal(s.outbox.pending(), 0);
    assert.equal(rx.received.length, 3);
    s.outbox.close();
    await rx.stop();
  });

  it('queued alerts survive a restart: a new process delivers them from the file', async () => {
    const rx = await receiver();
    const first = setup(rx, 'restart.db');
    first.enqueue(alert({ id: '7d3c2d9e-0000-4000-8000-00000000000a' }));
    await first.delivery.tick();
    await first.delivery.stop();
    first.outbox.close();
    await rx.start();
    const second = setup(rx, 'restart.db');
    assert.equal(second.outbox.pending(), 3);
    second.clock.now += 10_000;
    await second.delivery.tick();
    const got = await rx.waitFor((r) => r.path === '/generic');
    assert.equal((got.json.alert as Alert).id, '7d3c2d9e-0000-4000-8000-00000000000a');
    assert.equal(second.outbox.pending(), 0);
    second.outbox.close();
    await rx.stop();
  });

  it('a receiver answering 500 is retried; one never reachable is given up after maxAgeHours', async () => {
    const rx = await receiver();
    await rx.start();
    rx.status = 500;
    const s = setup(rx, 'give-up.db');
    s.enqueue(alert());
    await s.delivery.tick();
    assert.equal(s.outbox.pending(), 3);
    s.clock.now += 2 * 3600_000;
    await s.delivery.tick();
    assert.equal(s.outbox.pending(), 0);
    assert.equal(s.outbox.dead().length, 3);
    assert.match(s.outbox.dead()[0].error ?? '', /HTTP 500/);
    assert.match(s.logs.join('\n'), /given up/);
    s.outbox.close();
    await rx.stop();
  });

  it('a redirect is not followed (alerts and their headers stay with the configured receiver)', async () => {
    const rx = await receiver();
    await rx.start();
    rx.status = 307;
    const s = setup(rx, 'redirect.db');
    s.enqueue(alert());
    await s.delivery.tick();
    assert.equal(s.outbox.pending(), 3);
    assert.match(s.logs.join('\n'), /HTTP 307/);
    s.outbox.close();
    await rx.stop();
  });
});
