/**
 * Alert rules on an injected clock: the seed's thresholds and windows, deduplication with a
 * cooldown that keeps the tally, per-subject at-once rules, the connection spike rule, and rules
 * fed by a configured event name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditRecord } from '../../src/audit/audit-log.ts';
import { loadConfigText } from '../../src/config/load.ts';
import { AlertEngine, type Alert } from '../../src/monitor/alert-engine.ts';

const MIN = 60_000;

function engine(yaml = 'mcp: {}') {
  const cfg = loadConfigText(yaml).config.mcp.security.alerting;
  const clock = { now: Date.UTC(2025, 2, 1, 12, 0, 0) };
  const alerts: Alert[] = [];
  const e = new AlertEngine(cfg, (a) => alerts.push(a), () => clock.now);
  const emit = (event: string, extra: Partial<AuditRecord> = {}) => e.observe({ time: new Date(clock.now).toISOString(), event: event as AuditRecord['event'], ...extra });
  return { e, clock, alerts, emit };
}

describe('alert rules', () => {
  it('denied tool calls: 10 within 5 minutes, not 10 spread wider', () => {
    const { clock, alerts, emit } = engine();
    const start = clock.now;
    for (let i = 0; i < 10; i++) {
      clock.now = start + i * 34_000; // 10 calls over 306 s: never 10 within 300 s
      emit('tool_denied', { tool: `t${i}`, server: 's', connection: 'http:1.2.3.4:1' });
    }
    assert.equal(alerts.length, 0);
    clock.now = start + 326_000; // the 10 most recent now span 292 s
    emit('tool_denied', { tool: 'x', server: 's' });
    assert.equal(alerts.length, 1);
    const a = alerts[0];
    assert.equal(a.type, 'HIGH_DENIED_TOOL_CALLS');
    assert.equal(a.severity, 'medium');
    assert.equal(a.priority, 'P3');
    assert.equal(a.data.count, 10);
    assert.equal(a.data.windowSeconds, 300);
    assert.match(a.message, /10 in the last 300s/);
    assert.deepEqual((a.data.lastEvent as Record<string, unknown>).tool, 'x');
  });

  it('a burst alerts once; the cooldown holds repeats back and the next alert carries their count', () => {
    const { clock, alerts, emit } = engine();
    for (let i = 0; i < 25; i++) emit('tool_denied');
    assert.equal(alerts.length, 1);
    clock.now += 4 * MIN; // cooldown is 300 s
    for (let i = 0; i < 10; i++) emit('tool_denied');
    assert.equal(alerts.length, 1, 'still cooling down');
    clock.now += 2 * MIN;
    for (let i = 0; i < 10; i++) emit('tool_denied');
    assert.equal(alerts.length, 2);
    // 15 held in the first burst after the alert, 10 more during the cooldown
    assert.equal(alerts[1].suppressed, 25);
  });

  it('a blocked poisoned description alerts at once; a flagged one does not', () => {
    const { alerts, emit } = engine();
    emit('tool_poisoning_detected', { server: 's', tool: 'weather', decision: 'allow', reason: 'flag' });
    assert.equal(alerts.length, 0);
    emit('tool_poisoning_detected', { server: 's', tool: 'add', decision: 'deny', reason: '1 poisoning finding(s): block' });
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].type, 'TOOL_POISONING_DETECTED');
    assert.equal(alerts[0].severity, 'high');
    assert.match(alerts[0].message, /add on s/);
  });

  it('lockdown denials do not count as an attack', () => {
    const { alerts, emit } = engine();
    for (let i = 0; i < 50; i++) emit('tool_denied', { code: 'LOCKDOWN' });
    assert.equal(alerts.length, 0);
  });

  it('rate-limit violations: 5 within 5 minutes', () => {
    const { clock, alerts, emit } = engine();
    for (let i = 0; i < 4; i++) emit('rate_limit_exceeded');
    clock.now += 5 * MIN;
    emit('rate_limit_exceeded');
    assert.equal(alerts.length, 0, 'the first four fell out of the window');
    for (let i = 0; i < 4; i++) emit('rate_limit_exceeded');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].type, 'RATE_LIMIT_ATTACK');
    assert.equal(alerts[0].severity, 'high');
  });

  it('an injection attempt alerts at once, per server and tool', () => {
    const { alerts, emit } = engine();
    emit('injection_attempt', { server: 'web', tool: 'fetch', connection: 'c1', detail: { pattern: 'ignore previous instructions' } });
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].type, 'INJECTION_ATTEMPT_DETECTED');
    assert.equal(alerts[0].severity, 'critical');
    assert.equal(alerts[0].priority, 'P1');
    assert.match(alerts[0].message, /ignore previous instructions/);
    emit('injection_attempt', { server: 'web', tool: 'fetch' });
    assert.equal(alerts.length, 1, 'same subject: held back');
    emit('injection_attempt', { server: 'web', tool: 'search' });
    assert.equal(alerts.length, 2, 'another tool: its own alert');
  });

  it('pin drift, sandbox crash loop and certificate pin mismatch alert at once', () => {
    const { alerts, emit } = engine();
    emit('pin_drift', { server: 'files', tool: 'read_file' });
    emit('sandbox_crash_loop', { server: 'files', reason: '5 restarts in 60s' });
    emit('certificate_pin_mismatch', { server: 'remote' });
    assert.deepEqual(alerts.map((a) => [a.type, a.severity]), [
      ['PIN_DRIFT_DETECTED', 'high'],
      ['SANDBOX_CRASH_LOOP', 'high'],
      ['CERTIFICATE_PIN_MISMATCH', 'critical'],
    ]);
  });

  it('a borrowed session id alerts at once; refused credentials only in a burst', () => {
    const { alerts, emit } = engine();
    emit('session_principal_mismatch', { session: 's1', principal: 'bob' });
    for (let i = 0; i < 19; i++) emit('authentication_failed', { reason: 'ERR_JWT_EXPIRED' });
    assert.deepEqual(alerts.map((a) => a.type), ['SESSION_PRINCIPAL_MISMATCH']);
    emit('authentication_failed', { reason: 'unknown API key' });
    assert.deepEqual(alerts.map((a) => [a.type, a.severity]), [['SESSION_PRINCIPAL_MISMATCH', 'high'], ['AUTHENTICATION_FAILURES', 'high']]);
  });

  it('connection spike: at least 200% of the previous window, after a full warm-up', () => {
    const { clock, alerts, emit } = engine();
    // The first 20 minutes only fill the baseline, whatever they hold.
    for (let i = 0; i < 12; i++) {
      emit('connection_established');
      clock.now += 100_000;
    }
    // The baseline window (12:21-12:31): 10 connections.
    clock.now = Date.UTC(2025, 2, 1, 12, 21, 0);
    for (let i = 0; i < 10; i++) {
      emit('connection_established');
      clock.now += 50_000;
    }
    // Ten minutes later (12:31-12:41): the burst.
    clock.now = Date.UTC(2025, 2, 1, 12, 40, 30);
    for (let i = 0; i < 19; i++) emit('connection_established');
    assert.equal(alerts.length, 0, '19 is 190%');
    emit('connection_established');
    assert.equal(alerts.length, 1, '20 is 200%');
    assert.equal(alerts[0].type, 'CONNECTION_SPIKE');
    assert.equal(alerts[0].data.current, 20);
    assert.equal(alerts[0].data.previous, 10);
  });

  it('no spike alert right after start, nor below minCount', () => {
    const { clock, alerts, emit } = engine();
    for (let i = 0; i < 50; i++) emit('connection_established');
    assert.equal(alerts.length, 0, 'not warm yet');
    clock.now += 30 * MIN;
    for (let i = 0; i < 9; i++) emit('connection_established');
    assert.equal(alerts.length, 0, 'fewer than minCount (10)');
  });

  it('thresholds, event names and switches come from the configuration', () => {
    const { alerts, emit } = engine(`mcp:
  security:
    alerting:
      cooldownSeconds: 0
      rules:
        deniedToolCalls: { count: 3, windowSeconds: 60 }
        injectionAttempts: { event: prompt_injection_detected }
        rateLimitViolations: { enabled: false }
`);
    for (let i = 0; i < 3; i++) emit('tool_denied');
    assert.equal(alerts.length, 1);
    for (let i = 0; i < 10; i++) emit('rate_limit_exceeded');
    assert.equal(alerts.length, 1);
    emit('injection_attempt');
    assert.equal(alerts.length, 1, 'the rule listens to its configured name only');
    emit('prompt_injection_detected');
    assert.equal(alerts.length, 2);
  });

  it('alerting off raises nothing', () => {
    const { alerts, emit } = engine('mcp: { security: { alerting: { enabled: false } } }');
    emit('injection_attempt');
    assert.equal(alerts.length, 0);
  });

  it('memory stays bounded under a flood of distinct subjects', () => {
    const { e, alerts, emit } = engine();
    for (let i = 0; i < 5000; i++) emit('injection_attempt', { server: 's', tool: `tool-${i}` });
    assert.equal(alerts.length, 5000);
    const internals = (e as unknown as { windows: { windows: Map<string, unknown>; lastRaised: Map<string, unknown> } }).windows;
    assert.ok(internals.windows.size <= 1000, `windows: ${internals.windows.size}`);
    assert.ok(internals.lastRaised.size <= 1001, `lastRaised: ${internals.lastRaised.size}`);
  });
});
