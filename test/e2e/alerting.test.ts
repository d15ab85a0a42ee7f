/**
 * Alerting end to end: a real gateway (`portcullis run`) in front of server-everything raises
 * the seed's "denied tool calls" alert while the webhook receiver is down; the alert and the
 * audit batches wait in the on-disk queue across a gateway restart and reach the receiver when
 * it is back, signed, with the configured headers. The alert is in the event store and the
 * report; the audit webhook's records carry their chain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { BIN, NODE, rpcError, startGateway, tempDir, type RunningGateway } from '../helpers/gateway-process.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'e2e-alert-signing-secret-9c1d';

const config = (rx: WebhookReceiver) => `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo], deniedTools: [get-env]}
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations:
        - {type: file, path: "\${AUDIT}"}
        - {type: webhook, url: "${rx.url('/audit')}", headers: {Authorization: "Bearer audit-token-e2e"}}
    alerting:
      delivery: {initialBackoffSeconds: 1, maxBackoffSeconds: 2}
      notifiers:
        - {type: webhook, url: "${rx.url('/alerts')}", secret: "${SECRET}"}
`;

describe('alerts reach a webhook that was down, across a gateway restart', () => {
  const dir = tempDir();
  let gw: RunningGateway | undefined;
  let rx: WebhookReceiver;
  after(async () => {
    await gw?.stop();
    await rx?.stop();
  });

  test('10 denied calls raise HIGH_DENIED_TOOL_CALLS; delivered after the receiver and the gateway come back', async () => {
    rx = await WebhookReceiver.reserve(); // down: nothing listens on its port
    gw = await startGateway(config(rx), [], { dir });
    const client = new Client({ name: 'alert-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    for (let i = 0; i < 10; i++) assert.equal((await rpcError(client.callTool({ name: 'get-env', arguments: {} }))).data?.reason, 'UNKNOWN_TOOL');
    await client.close();
    // Raised (and recorded) at once, though it cannot be delivered.
    const raised = await waitForAudit(gw, (r) => r.event === 'alert_raised');
    assert.equal(raised.rule, 'deniedToolCalls');
    assert.match(gw.stderr(), /ALERT HIGH_DENIED_TOOL_CALLS/);
    assert.equal(await gw.stop(), 0);
    assert.equal(rx.received.length, 0);

    // The receiver comes back, then the gateway: the queue on disk is delivered, no new traffic needed.
    await rx.start();
    gw = await startGateway(config(rx), [], { dir });
    const hook = await rx.waitFor((r) => r.path === '/alerts');
    const alert = hook.json.alert as { type: string; severity: string; priority: string; data: { count: number } };
    assert.equal(alert.type, 'HIGH_DENIED_TOOL_CALLS');
    assert.equal(alert.data.count, 10);
    const ts = String(hook.headers['x-portcullis-timestamp']);
    assert.equal(hook.headers['x-portcullis-signature'], `sha256=${createHmac('sha256', SECRET).update(`${ts}.${hook.body}`).digest('hex')}`);

    // The seed's audit webhook destination: batches of chained records with its headers.
    const batch = await rx.waitFor((r) => r.path === '/audit' && (r.json.records as { event: string }[]).some((x) => x.event === 'tool_denied'));
    assert.equal(batch.headers.authorization, 'Bearer audit-token-e2e');
    const records = batch.json.records as { event: string; chain: string; seq: number; hash: string }[];
    assert.ok(records.every((x) => typeof x.chain === 'string' && Number.isInteger(x.seq) && /^[0-9a-f]{64}$/.test(x.hash)));

    // The event store has it, unacknowledged, and the report says so.
    const report = spawnSync(NODE, [BIN, 'report', '--since', '1h', '--format', 'json', '--db', `${dir}/portcullis-state/events.db`], { encoding: 'utf8' });
    assert.equal(report.status, 0, report.stderr);
    const data = JSON.parse(report.stdout) as { alerts: { type: string; acknowledged: boolean; id: number }[]; byType: { key: string; count: number }[] };
    const stored = data.alerts.find((a) => a.type === 'HIGH_DENIED_TOOL_CALLS');
    assert.ok(stored);
    assert.equal(stored.acknowledged, false);
    assert.equal(data.byType.find((t) => t.key === 'tool_denied')?.count, 10);
    const ack = spawnSync(NODE, [BIN, 'alerts', 'ack', String(stored.id), '--by', 'oncall', '--db', `${dir}/portcullis-state/events.db`], { encoding: 'utf8' });
    assert.equal(ack.status, 0, ack.stderr);
    const after = JSON.parse(spawnSync(NODE, [BIN, 'report', '--format', 'json', '--db', `${dir}/portcullis-state/events.db`], { encoding: 'utf8' }).stdout) as typeof data;
    assert.equal(after.alerts.find((a) => a.id === stored.id)?.acknowledged, true);
  });
});

describe("another capability's event feeds its alert rule", () => {
  let gw: RunningGateway | undefined;
  let rx: WebhookReceiver;
  after(async () => {
    await gw?.stop();
    await rx?.stop();
  });

  test('a server that keeps crashing: sandbox_crash_loop becomes a SANDBOX_CRASH_LOOP alert on Slack', async () => {
    rx = await WebhookReceiver.reserve();
    await rx.start();
    gw = await startGateway(`
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: flaky
      command: "\${NODE}"
      args: ["-e", "process.exit(3)"]
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  security:
    toolAccess: {defaultPolicy: allow}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
    alerting:
      notifiers: [{type: slack, url: "${rx.url('/slack')}", minSeverity: high}]
`);
    const hook = await rx.waitFor((r) => r.path === '/slack', 60_000);
    assert.match(String(hook.json.text), /\[P2 HIGH\] SANDBOX_CRASH_LOOP: Server flaky is in a crash loop/);
    await waitForAudit(gw, (r) => r.event === 'alert_raised' && r.rule === 'sandboxCrashLoop');
  });
});
