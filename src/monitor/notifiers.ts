/**
 * Where alerts and audit batches go, and what each receiver is sent.
 *
 * - `webhook`: the alert as JSON, signed when a secret is set:
 *   `X-Portcullis-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Portcullis-Timestamp>.<body>")>`.
 *   The timestamp is inside the MAC so a captured delivery cannot be replayed later unnoticed.
 * - `slack`: a Block Kit message; `discord`: an embed. Text from the audit stream (tool names,
 *   reasons) is escaped and mentions are disabled, so a hostile tool name cannot ping a channel.
 * - `audit-webhook`: the seed's audit destination: batches of chained audit records, with the
 *   configured headers (e.g. `Authorization: Bearer ${AUDIT_WEBHOOK_TOKEN}`).
 *
 * Messages in the outbox hold the alert (or records), never a URL, header or secret: those are
 * read from the configuration when a message is sent, so no credential is written to disk.
 */
import { createHash, createHmac } from 'node:crypto';
import { SEVERITIES, type Severity } from '../audit/severity.ts';
import type { Config } from '../config/schema.ts';
import type { Alert } from './alert-engine.ts';
import type { OutboxMessage } from './outbox.ts';

export type TargetType = 'webhook' | 'slack' | 'discord' | 'audit-webhook';

export interface DeliveryTarget {
  /** Stable across restarts (type and a hash of the URL): outbox messages name their target by it. */
  id: string;
  type: TargetType;
  url: string;
  minSeverity: Severity;
  render(msg: OutboxMessage, now: Date): { headers: Record<string, string>; body: string };
}

export const SIGNATURE_HEADER = 'x-portcullis-signature';
export const TIMESTAMP_HEADER = 'x-portcullis-timestamp';
export const DELIVERY_HEADER = 'x-portcullis-delivery';

const idOf = (type: TargetType, url: string): string => `${type}:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function baseHeaders(msg: OutboxMessage, now: Date, event: string, body: string, secret?: string, extra?: Record<string, string>): Record<string, string> {
  const ts = String(Math.floor(now.getTime() / 1000));
  const h: Record<string, string> = {
    ...extra,
    'content-type': 'application/json',
    'user-agent': 'portcullis',
    'x-portcullis-event': event,
    [DELIVERY_HEADER]: msg.deliveryId,
    [TIMESTAMP_HEADER]: ts,
  };
  if (secret) h[SIGNATURE_HEADER] = sign(secret, ts, body);
  return h;
}

const ICON: Record<string, string> = { critical: '⛔', high: '🚨', medium: '⚠️', low: 'ℹ️', info: 'ℹ️' };
const COLOR: Record<string, number> = { critical: 0xb00020, high: 0xe65100, medium: 0xf9a825, low: 0x1565c0, info: 0x607d8b };
const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const title = (a: Alert): string => `${ICON[a.severity] ?? ''} [${a.priority} ${a.severity.toUpperCase()}] ${a.type}`.trim();
const held = (a: Alert): string => (a.suppressed ? ` (${a.suppressed} more held back by the cooldown since the last alert)` : '');

/** Slack mrkdwn: `&`, `<` and `>` are the control characters (links, mentions like <!channel>). */
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackPayload(a: Alert): Record<string, unknown> {
  const text = slackEscape(cut(a.message + held(a), 2900));
  return {
    text: `${title(a)}: ${text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: cut(title(a), 150), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`rule ${a.rule} · ${a.time} · alert ${a.id} · portcullis`) }] },
    ],
  };
}

export function discordPayload(a: Alert): Record<string, unknown> {
  return {
    username: 'Portcullis',
    content: cut(title(a), 1900),
    // No @everyone, @here, role or user mention can come out of audit text.
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: cut(a.type, 250),
        description: cut(a.message + held(a), 4000),
        color: COLOR[a.severity] ?? COLOR.info,
        timestamp: a.time,
        fields: [
          { name: 'Severity', value: a.severity, inline: true },
          { name: 'Priority', value: a.priority, inline: true },
          { name: 'Rule', value: cut(a.rule, 1000), inline: true },
        ],
        footer: { text: `alert ${a.id}` },
      },
    ],
  };
}

export function targetsFromConfig(config: Config): DeliveryTarget[] {
  const out: DeliveryTarget[] = [];
  for (const n of config.mcp.security.alerting.notifiers) {
    const id = idOf(n.type, n.url);
    if (out.some((t) => t.id === id)) continue;
    const render = (msg: OutboxMessage, now: Date) => {
      const alert = JSON.parse(msg.body) as Alert;
      if (n.type === 'slack' || n.type === 'discord') {
        return { headers: { 'content-type': 'application/json', 'user-agent': 'portcullis' }, body: JSON.stringify(n.type === 'slack' ? slackPayload(alert) : discordPayload(alert)) };
      }
      const body = JSON.stringify({ type: 'portcullis.alert', alert });
      return { headers: baseHeaders(msg, now, 'alert', body, n.secret, n.headers), body };
    };
    out.push({ id, type: n.type, url: n.url, minSeverity: n.minSeverity, render });
  }
  if (config.mcp.security.audit.enabled) {
    for (const d of config.mcp.security.audit.destinations) {
      if (d.type !== 'webhook') continue;
      const id = idOf('audit-webhook', d.url);
      if (out.some((t) => t.id === id)) continue;
      out.push({
        id,
        type: 'audit-webhook',
        url: d.url,
        minSeverity: 'info',
        // The body was built when the batch was queued: `{"type":"portcullis.audit","records":[...]}`.
        render: (msg, now) => ({ headers: baseHeaders(msg, now, 'audit', msg.body, d.secret, d.headers), body: msg.body }),
      });
    }
  }
  return out;
}

export function severityAtLeast(s: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(min);
}
