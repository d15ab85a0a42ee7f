/**
 * The incident state and the two checks that read it: the lockdown (allowlist matched like an
 * allow rule: own name, or a server's prefix for that server only; a clear error) and revocation (ended sessions, tokens issued before their
 * subject's or everyone's revocation). State persists in a file and is followed across processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { lockdown } from '../../src/checks/lockdown.ts';
import { revocation } from '../../src/checks/revocation.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import { GatewayError } from '../../src/errors.ts';
import { IncidentControl } from '../../src/incident/incident-control.ts';
import { IncidentState, IncidentStateError, readIncidentFile, updateIncidentFile, type IncidentStore } from '../../src/incident/incident-state.ts';
import { RedisIncidentState } from '../../src/incident/redis-incident-state.ts';
import type { CallContext } from '../../src/pipeline/types.ts';
import { RedisConnection } from '../../src/state/redis-connection.ts';
import { dropPrefix, REDIS_TEST_URL, testPrefix } from '../helpers/redis.ts';

const root = mkdtempSync(join(tmpdir(), 'portcullis-incident-'));
const connections: RedisConnection[] = [];
const prefixes: string[] = [];
after(async () => {
  rmSync(root, { recursive: true, force: true });
  await Promise.all(connections.map((c) => c.close()));
  for (const p of prefixes) await dropPrefix(REDIS_TEST_URL, p);
});
let n = 0;
const fresh = () => join(root, `case-${++n}`, 'incident.json');

/** Where the state lives: a file in the state directory, or Redis under a key prefix (one connection = one replica). */
const backends: { name: string; fresh: () => string; open: (where: string) => Promise<IncidentStore> }[] = [
  { name: 'file', fresh, open: async (path) => new IncidentState(path) },
  {
    name: 'redis',
    fresh: () => {
      const p = testPrefix();
      prefixes.push(p);
      return p;
    },
    open: async (prefix) => {
      const conn = new RedisConnection({ url: REDIS_TEST_URL, keyPrefix: prefix, commandTimeoutMs: 5000, log: { info() {}, warn() {}, error() {} } });
      connections.push(conn);
      await conn.waitReady(10_000);
      const s = new RedisIncidentState(conn, { resyncMs: 200 });
      await s.load();
      return s;
    },
  },
];

async function controlOn(store: IncidentStore, now = new Date('2025-03-01T12:00:00Z')) {
  const events: string[] = [];
  const audit = new AuditLog({ sinks: [], events: AUDIT_EVENTS, level: 'summary', observers: [(r) => events.push(`${r.event}:${r.reason ?? ''}`)] });
  const clock = { now };
  return { c: new IncidentControl(store, { audit, log: () => {}, clock: () => clock.now }), events, clock };
}

const control = (path: string, now?: Date) => controlOn(new IncidentState(path), now);

interface Over {
  method?: string;
  server?: string;
  name?: string;
  exposed?: string;
  issuedAt?: number;
  subject?: string;
  closed?: boolean;
  /** How the caller authenticated (default jwt) and which credential (key id, certificate fingerprint). */
  auth?: string;
  credential?: string;
}

function ctx(c: IncidentControl, over: Over = {}): CallContext {
  return {
    services: { incident: c, namespacer: { serverNames: ['files', 'ops', 'evil'] } } as unknown as CallContext['services'],
    session: { closed: over.closed ?? false, stateless: false, principal: { subject: over.subject ?? 'alice', method: over.auth ?? 'jwt', roles: [], issuedAt: over.issuedAt, credential: over.credential } } as unknown as CallContext['session'],
    req: { jsonrpc: '2.0', id: 1, method: over.method ?? 'tools/call' },
    method: over.method ?? 'tools/call',
    security: {} as CallContext['security'],
    target: { kind: 'tool', server: { name: over.server ?? 'files' }, name: over.name ?? 'read_file', exposed: over.exposed ?? 'files__read_file' } as CallContext['target'],
    audit: {},
    startedAt: 0,
  };
}

async function outcome(stage: typeof lockdown, x: CallContext): Promise<string> {
  try {
    await stage(x, async () => {});
    return 'passed';
  } catch (err) {
    return (err as GatewayError).code;
  }
}

describe('incident state', () => {
  for (const b of backends) {
    it(`${b.name}: lockdown refuses every tool call with LOCKDOWN, except the allowlist, and persists`, async () => {
      const path = b.fresh();
      const { c, events } = await controlOn(await b.open(path));
      assert.equal(await outcome(lockdown, ctx(c)), 'passed');
      await c.setLockdown(true, { allow: ['files__read_*', 'status'], by: 'test', reason: 'incident 42' });
      assert.equal(await outcome(lockdown, ctx(c, { name: 'write_file', exposed: 'files__write_file' })), 'LOCKDOWN');
      assert.equal(await outcome(lockdown, ctx(c)), 'passed', 'allowed by its server prefix');
      assert.equal(await outcome(lockdown, ctx(c, { server: 'ops', name: 'status', exposed: 'ops__status' })), 'passed', 'allowed by its own name');
      // Server evil's own tool `files__read_all_secrets` is not server files' tool.
      assert.equal(await outcome(lockdown, ctx(c, { server: 'evil', name: 'files__read_all_secrets', exposed: 'evil__files__read_all_secrets' })), 'LOCKDOWN');
      assert.equal(await outcome(lockdown, ctx(c, { method: 'tools/list' })), 'passed', 'only tool calls are locked down');
      const denied = ctx(c, { name: 'x', exposed: 'x' });
      await outcome(lockdown, denied);
      assert.equal(denied.audit.rule, 'lockdown');
      assert.match(String(denied.audit.reason), /incident 42/);
      assert.deepEqual(events, ['lockdown_enabled:incident 42']);
      if (b.name === 'file') assert.equal(statSync(path).mode & 0o777, 0o600);
      // Another process (a restart) reads it back.
      assert.equal((await controlOn(await b.open(path))).c.lockdown().active, true);
      await c.setLockdown(false, { by: 'test' });
      assert.equal(await outcome(lockdown, ctx(c, { name: 'x', exposed: 'x' })), 'passed');
      assert.equal(events.at(-1), 'lockdown_disabled:lockdown lifted');
    });

    it(`${b.name}: revocation: tokens issued before the subject's or everyone's revocation are refused; later ones pass`, async () => {
      const { c, clock } = await controlOn(await b.open(b.fresh()));
      const t = (iso: string) => Date.parse(iso) / 1000;
      assert.equal(await outcome(revocation, ctx(c, { issuedAt: t('2025-03-01T11:00:00Z') })), 'passed');
      await c.revoke({ subject: 'alice' }, { by: 'test' });
      assert.equal(await outcome(revocation, ctx(c, { issuedAt: t('2025-03-01T11:59:59Z') })), 'UNAUTHENTICATED');
      assert.equal(await outcome(revocation, ctx(c, { issuedAt: t('2025-03-01T12:00:01Z') })), 'passed', 'a token issued after the revocation');
      assert.equal(await outcome(revocation, ctx(c, { subject: 'bob', issuedAt: t('2025-03-01T11:00:00Z') })), 'passed', 'another subject');
      clock.now = new Date('2025-03-01T13:00:00Z');
      await c.revoke({ all: true }, { by: 'test' });
      assert.equal(await outcome(revocation, ctx(c, { subject: 'bob', issuedAt: t('2025-03-01T12:30:00Z') })), 'UNAUTHENTICATED');
      assert.equal(await outcome(revocation, ctx(c, { subject: 'bob' })), 'UNAUTHENTICATED', 'a token without iat counts as issued before');
      for (const auth of ['local-user', 'anonymous']) assert.equal(await outcome(revocation, ctx(c, { subject: 'bob', auth })), 'passed', `${auth}: no credential to revoke`);
      assert.equal(await outcome(revocation, ctx(c, { closed: true })), 'UNAUTHENTICATED', 'an ended session stays ended');
    });

    it(`${b.name}: API keys and client certificates: by id, by fingerprint, by subject, by --all; reinstated; persisted`, async () => {
      const path = b.fresh();
      const { c, clock, events } = await controlOn(await b.open(path));
      const t = (iso: string) => Date.parse(iso) / 1000;
      const key = (id: string, issuedAt?: number, subject = 'ci') => ctx(c, { auth: 'api-key', credential: id, subject, issuedAt });
      const FP = 'AB:'.repeat(31) + 'AB';
      const cert = (fp: string, issuedAt: number, subject = 'spiffe://x/agent') => ctx(c, { auth: 'mtls', credential: fp, subject, issuedAt });
      const before = t('2025-03-01T11:00:00Z');
      await c.revoke({ apiKey: 'k1' }, { by: 'test' });
      assert.equal(await outcome(revocation, key('k1', before)), 'UNAUTHENTICATED');
      assert.equal(await outcome(revocation, key('k2', before)), 'passed', 'another key of the same subject');
      await c.revoke({ certificate: 'sha256:' + 'ab'.repeat(32) }, { by: 'test' });
      assert.equal(await outcome(revocation, cert(FP, before)), 'UNAUTHENTICATED', 'the fingerprint matches whatever its spelling');
      assert.equal(await outcome(revocation, cert('CD:'.repeat(31) + 'CD', before)), 'passed');
      await assert.rejects(c.revoke({ certificate: 'not-a-fingerprint' }, { by: 'test' }), RangeError);

      clock.now = new Date('2025-03-01T12:30:00Z');
      await c.revoke({ all: true }, { by: 'test' });
      assert.equal(await outcome(revocation, key('k2', before)), 'UNAUTHENTICATED', '--all: a key made before it');
      assert.equal(await outcome(revocation, key('k3')), 'UNAUTHENTICATED', '--all: a key without createdAt counts as older');
      assert.equal(await outcome(revocation, key('k4', t('2025-03-01T12:45:00Z'))), 'passed', 'a key made after it');
      assert.equal(await outcome(revocation, cert('CD:'.repeat(31) + 'CD', before)), 'UNAUTHENTICATED', '--all: a certificate issued before it');
      assert.equal(await outcome(revocation, cert('CD:'.repeat(31) + 'CD', t('2025-03-01T12:31:00Z'))), 'passed', 'a certificate issued after it');

      clock.now = new Date('2025-03-01T13:00:00Z');
      await c.revoke({ apiKey: 'k2', reinstate: true }, { by: 'test' });
      assert.equal(await outcome(revocation, key('k2', before)), 'passed', 'reinstated: exempt from revocations made before');
      assert.equal(await outcome(revocation, key('k3')), 'UNAUTHENTICATED', 'only that key');
      await assert.rejects(c.revoke({ all: true, reinstate: true }, { by: 'test' }), RangeError);
      assert.ok(events.includes('credentials_reinstated:reinstated api-key:k2'), events.join('\n'));
      // Survives a restart: another process reads the same state.
      const again = (await controlOn(await b.open(path))).c;
      assert.equal(await outcome(revocation, ctx(again, { auth: 'api-key', credential: 'k2', subject: 'ci', issuedAt: before })), 'passed');
      assert.equal(await outcome(revocation, ctx(again, { auth: 'api-key', credential: 'k1', subject: 'ci', issuedAt: before })), 'UNAUTHENTICATED');
      clock.now = new Date('2025-03-01T14:00:00Z');
      await c.revoke({ subject: 'ci' }, { by: 'test' });
      assert.equal(await outcome(revocation, key('k2', before)), 'UNAUTHENTICATED', 'a later revocation applies again');
    });
  }

  it('a state file written before the credential kinds existed still loads', () => {
    const path = fresh();
    updateIncidentFile(path, () => {});
    writeFileSync(path, '{"version":1,"lockdown":{"enabled":false,"allow":[]},"revocations":{"all":"2025-01-01T00:00:00.000Z","subjects":{},"sessions":{}},"disabledServers":{}}');
    const s = readIncidentFile(path);
    assert.deepEqual(s.revocations.apiKeys, {});
    assert.deepEqual(s.revocations.reinstated, { subjects: {}, apiKeys: {}, certificates: {} });
  });

  it('a change written by another process (the CLI) is picked up and audited within the poll interval', async () => {
    const path = fresh();
    const { c, events } = await control(path);
    c.attach({ servers: new Map(), sessions: new Set() } as unknown as Parameters<IncidentControl['attach']>[0]);
    try {
      updateIncidentFile(path, (s) => {
        s.lockdown = { enabled: true, allow: [], by: 'cli', reason: 'from the CLI' };
      });
      for (let i = 0; i < 40 && !c.lockdown().active; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(c.lockdown().active, true);
      assert.deepEqual(events, ['lockdown_enabled:from the CLI']);
    } finally {
      c.detach();
    }
  });

  it('a corrupt state file is an error at start, never "no lockdown"', () => {
    const path = fresh();
    updateIncidentFile(path, () => {});
    writeFileSync(path, '{"version":1,"lockdown":');
    assert.throws(() => readIncidentFile(path), IncidentStateError);
    assert.throws(() => new IncidentState(path), /fix: repair it/);
    writeFileSync(path, '{"version":1,"lockdown":{"enabled":"yes","allow":[]},"revocations":{"subjects":{},"sessions":{}},"disabledServers":{}}');
    assert.throws(() => new IncidentState(path), /malformed/);
  });

  it('revoked session ids are kept bounded', () => {
    const path = fresh();
    for (let i = 0; i < 1100; i++) updateIncidentFile(path, (s) => (s.revocations.sessions[`s${i}`] = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString()));
    const s = readIncidentFile(path);
    assert.equal(Object.keys(s.revocations.sessions).length, 1000);
    assert.ok('s1099' in s.revocations.sessions && !('s0' in s.revocations.sessions), 'the newest are kept');
  });
});

describe('incident state in Redis (mcp.state.url)', () => {
  it('a malformed document in Redis refuses (STATE_UNAVAILABLE), never reads as "no lockdown"', async () => {
    const prefix = backends[1].fresh();
    const store = (await backends[1].open(prefix)) as RedisIncidentState;
    const { c } = await controlOn(store);
    await c.setLockdown(true, { by: 'test' });
    await connections.at(-1)!.client.hset(`${prefix}incident`, 'data', '{"version":1,"lockdown":', 'rev', 99);
    await assert.rejects(store.load(), (e: GatewayError) => e.code === 'STATE_UNAVAILABLE' && /not valid JSON/.test(e.detail ?? ''));
    assert.ok(store.corrupt);
    assert.throws(() => c.lockdown(), (e: GatewayError) => e.code === 'STATE_UNAVAILABLE');
  });

  it('a lockdown set on one replica reaches another by pub/sub, is audited there, and both agree', async () => {
    const prefix = backends[1].fresh();
    const a = await controlOn(await backends[1].open(prefix));
    const b = await controlOn(await backends[1].open(prefix));
    const gw = { servers: new Map(), sessions: new Set() } as unknown as Parameters<IncidentControl['attach']>[0];
    a.c.attach(gw);
    b.c.attach(gw);
    try {
      await a.c.setLockdown(true, { allow: [], by: 'admin-api@replica-a', reason: 'incident 7' });
      for (let i = 0; i < 100 && !b.c.lockdown().active; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(b.c.lockdown().active, true);
      assert.deepEqual(b.events, ['lockdown_enabled:incident 7']);
      // Concurrent changes from both replicas are both kept (compare-and-set, no lost update).
      await Promise.all([a.c.setServer('files', true, { by: 'a' }), b.c.setServer('ops', true, { by: 'b' }), a.c.revoke({ subject: 'mallory' }, { by: 'a' })]);
      const fromA = (await backends[1].open(prefix)).current;
      assert.deepEqual(Object.keys(fromA.disabledServers).sort(), ['files', 'ops']);
      assert.ok('mallory' in fromA.revocations.subjects);
      assert.equal(fromA.lockdown.enabled, true);
    } finally {
      a.c.detach();
      b.c.detach();
    }
  });
});
