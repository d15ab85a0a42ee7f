/**
 * Delivery from the outbox: every due message is POSTed to its target with a timeout; a 2xx
 * removes it, anything else (refused connection, timeout, 5xx, 429, any other status) schedules
 * a retry with exponential back-off and jitter (honouring `Retry-After`), until `maxAgeHours`,
 * when it is given up, kept as dead and logged. A target that fails holds back its later
 * messages until the retry, so a receiver that is down is not hammered and sees them in order.
 * Redirects are not followed: a receiver cannot bounce alerts (and their headers) elsewhere.
 */
import type { Config } from '../config/schema.ts';
import type { DeliveryTarget } from './notifiers.ts';
import type { Outbox, OutboxMessage } from './outbox.ts';

type DeliveryConfig = Config['mcp']['security']['alerting']['delivery'];

export interface DeliveryOptions {
  outbox: Outbox;
  targets: DeliveryTarget[];
  config: DeliveryConfig;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  clock?: () => number;
  /** How often due messages are looked for. @default 500 */
  pollMs?: number;
  onDelivered?: (target: DeliveryTarget, msg: OutboxMessage) => void;
}

const CLAIM_LIMIT = 50;

export class Delivery {
  private readonly o: DeliveryOptions;
  private readonly targets: Map<string, DeliveryTarget>;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly inflight = new Set<AbortController>();

  constructor(o: DeliveryOptions) {
    this.o = o;
    this.targets = new Map(o.targets.map((t) => [t.id, t]));
    this.clock = o.clock ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.pollMs ?? 500).unref();
    this.kick();
  }

  /** Look for due messages now (after an enqueue). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.tick()
      .catch((err: unknown) => this.o.log('error', 'alert delivery failed', { error: (err as Error).message }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops polling; sends in flight get `graceMs` to finish, then are abandoned (they stay queued). */
  async stop(graceMs = 2000): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const t = setTimeout(() => {
      for (const c of this.inflight) c.abort();
    }, graceMs).unref();
    await this.running;
    clearTimeout(t);
  }

  private backoffMs(attempts: number): number {
    const c = this.o.config;
    const base = Math.min(c.maxBackoffSeconds, c.initialBackoffSeconds * 2 ** Math.max(0, attempts - 1)) * 1000;
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  async tick(): Promise<void> {
    const now = this.clock();
    const leaseMs = (this.o.config.timeoutSeconds + 30) * 1000;
    const due = this.o.outbox.claim(now, CLAIM_LIMIT, leaseMs);
    const byTarget = new Map<string, OutboxMessage[]>();
    for (const m of due) byTarget.set(m.target, [...(byTarget.get(m.target) ?? []), m]);
    await Promise.all([...byTarget].map(([id, msgs]) => this.sendAll(id, msgs)));
  }

  private async sendAll(targetId: string, msgs: OutboxMessage[]): Promise<void> {
    const target = this.targets.get(targetId);
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i];
      if (!target) {
        this.o.outbox.giveUp(m.id, 'target no longer configured');
        this.o.log('warn', 'alert delivery given up: its notifier is no longer configured', { target: targetId, delivery: m.deliveryId });
        continue;
      }
      const result = await this.send(target, m);
      if (result.ok) {
        this.o.outbox.delivered(m.id);
        this.o.onDelivered?.(target, m);
        continue;
      }
      const now = this.clock();
      if (now - m.createdAt >= this.o.config.maxAgeHours * 3600_000) {
        this.o.outbox.giveUp(m.id, result.error);
        this.o.log('error', 'alert delivery given up after maxAgeHours', { target: target.url, type: target.type, delivery: m.deliveryId, error: result.error });
        continue;
      }
      const wait = Math.min(this.o.config.maxBackoffSeconds * 1000, Math.max(result.retryAfterMs ?? 0, this.backoffMs(m.attempts + 1)));
      this.o.outbox.retry(m.id, result.error, now + wait);
      // The rest wait with it (order kept, the receiver not hammered); they did not fail themselves.
      for (const rest of msgs.slice(i + 1)) this.o.outbox.retry(rest.id, 'held back behind a failed delivery', now + wait, false);
      this.o.log('warn', 'alert delivery failed; will retry', { target: target.url, type: target.type, delivery: m.deliveryId, attempt: m.attempts + 1, retryInMs: wait, error: result.error });
      return;
    }
  }

  private async send(target: DeliveryTarget, m: OutboxMessage): Promise<{ ok: true } | { ok: false; error: string; retryAfterMs?: number }> {
    let req: { headers: Record<string, string>; body: string };
    try {
      req = target.render(m, new Date(this.clock()));
    } catch (err) {
      return { ok: false, error: `cannot render: ${(err as Error).message}` };
    }
    const ac = new AbortController();
    this.inflight.add(ac);
    const timer = setTimeout(() => ac.abort(new Error(`timed out after ${this.o.config.timeoutSeconds}s`)), this.o.config.timeoutSeconds * 1000);
    try {
      const res = await fetch(target.url, { method: 'POST', headers: req.headers, body: req.body, redirect: 'manual', signal: ac.signal });
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true };
      const ra = Number(res.headers.get('retry-after'));
      return { ok: false, error: `HTTP ${res.status}`, retryAfterMs: Number.isFinite(ra) && ra > 0 ? ra * 1000 : undefined };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      return { ok: false, error: e.cause?.code ?? e.cause?.message ?? e.message };
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
  }
}
