/**
 * The event store, SQLite (a real file) and PostgreSQL (a real server, a database made for this
 * run): migrations, batched chained writes through the audit sink, report queries, alerts, and
 * `audit verify --db` finding every kind of tampering with the rows.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DatabaseSync } from 'node:sqlite';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { HashChain } from '../../src/audit/hash-chain.ts';
import { generateKeyFiles, loadSigner } from '../../src/audit/signing-keys.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import type { EventStore } from '../../src/store/event-store.ts';
import { PostgresEventStore } from '../../src/store/postgres-event-store.ts';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.ts';
import { SqliteWorkerStore } from '../../src/store/sqlite-worker-store.ts';
import { StoreAuditSink } from '../../src/store/store-audit-sink.ts';
import { verifyStore } from '../../src/store/verify-store.ts';
import { BIN, NODE } from '../helpers/gateway-process.ts';
import { tempDatabase, type TempDatabase } from '../helpers/postgres.ts';

const root = mkdtempSync(join(tmpdir(), 'portcullis-store-'));
const keys = generateKeyFiles(join(root, 'keys'));
const signer = loadSigner(keys.privatePath);
const T0 = Date.UTC(2025, 2, 1, 10, 0, 0);

/** 30 records over three hours, one alert, written through the real sink. */
async function fill(store: EventStore): Promise<void> {
  await store.migrate();
  const sink = new StoreAuditSink({ store, limits: { batchRows: 7 } });
  const log = new AuditLog({ sinks: [sink], events: AUDIT_EVENTS, level: 'detailed', chain: new HashChain({ signer, everyRecords: 10 }), checkpointEverySeconds: 0 });
  for (let i = 0; i < 30; i++) {
    log.emit({
      time: new Date(T0 + i * 6 * 60_000).toISOString(),
      event: i % 3 === 0 ? 'tool_denied' : 'tool_invoked',
      session: `s${i % 2}`,
      connection: `http:203.0.113.${i % 4}:5000${i}`,
      principal: 'alice',
      server: 'files',
      tool: i % 3 === 0 ? 'delete_file' : 'read_file',
      decision: i % 3 === 0 ? 'deny' : 'allow',
      args: { path: `/data/${i}`, password: 'hunter2' },
    });
  }
  log.emit({
    time: new Date(T0 + 30 * 6 * 60_000).toISOString(),
    event: 'alert_raised',
    severity: 'medium',
    reason: '10 denied calls',
    detail: { alert: { type: 'HIGH_DENIED_TOOL_CALLS', message: '10 denied calls in 300s', data: { count: 10 }, group: 'deniedToolCalls|', suppressed: 2 } },
  });
  await log.close();
}

const range = { since: new Date(T0 - 3600_000), until: new Date(T0 + 24 * 3600_000) };

function suite(name: string, open: () => Promise<{ store: () => EventStore; raw: (sql: string) => Promise<unknown>; url: string } | string>) {
  describe(name, () => {
    let h: { store: () => EventStore; raw: (sql: string) => Promise<unknown>; url: string };
    let skip: string | undefined;
    before(async () => {
      const r = await open();
      if (typeof r === 'string') skip = r;
      else h = r;
    });
    const reopen = async (t: { skip: (m: string) => void }) => {
      if (skip) {
        t.skip(skip);
        return undefined;
      }
      return h;
    };

    it('migrates once, even when two gateways start at once', async (t) => {
      const x = await reopen(t);
      if (!x) return;
      const a = x.store();
      const b = x.store();
      assert.deepEqual(await Promise.all([a.migrate(), b.migrate()]), [1, 1]);
      assert.equal(await a.migrate(), 1);
      await Promise.all([a.close(), b.close()]);
    });

    it('holds chained rows: reports, alerts, and a clean verify', async (t) => {
      const x = await reopen(t);
      if (!x) return;
      const store = x.store();
      await fill(store);
      const s = x.store();
      assert.equal(await s.total(range), 31);
      assert.deepEqual(await s.countBy('event_type', range, 10), [
        { key: 'tool_invoked', count: 20 },
        { key: 'tool_denied', count: 10 },
        { key: 'alert_raised', count: 1 },
      ]);
      const hourly = await s.hourly(range);
      assert.deepEqual(hourly.map((h) => h.count), [10, 10, 10, 1]);
      assert.equal(hourly[0].hour, '2025-03-01T10:00:00.000Z');
      const denied = await s.recentEvents(range, { types: ['tool_denied'], limit: 3 });
      assert.equal(denied.length, 3);
      assert.equal(denied[0].ip_address, '203.0.113.3');
      assert.equal(denied[0].severity, 'medium');
      assert.equal(denied[0].details?.includes('hunter2'), false, 'arguments are stored redacted');
      const alerts = await s.alerts(range, 10);
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0].alert_type, 'HIGH_DENIED_TOOL_CALLS');
      assert.equal(alerts[0].dedup_key, 'deniedToolCalls|');
      assert.equal(Number(alerts[0].suppressed), 2);
      assert.equal(alerts[0].acknowledged, false);
      assert.equal(await s.acknowledgeAlert(alerts[0].id, 'bob', new Date()), true);
      assert.equal(await s.acknowledgeAlert(alerts[0].id, 'bob', new Date()), false);
      assert.equal((await s.alerts(range, 10))[0].acknowledged_by, 'bob');
      const v = await verifyStore(s, { verifier: (await import('../../src/audit/signing-keys.ts')).loadVerifier(keys.publicPath) });
      assert.equal(v.ok, true, JSON.stringify(v.problem));
      assert.equal(v.chains.length, 1);
      assert.equal(v.chains[0].end, 'sealed');
      // start + 31 + 3 periodic checkpoints + seal
      assert.equal(v.records, 36);
      await s.close();
    });

    it('audit verify --db names the row when one is edited, deleted, swapped or cut off', async (t) => {
      const x = await reopen(t);
      if (!x) return;
      const cli = (...extra: string[]) => spawnSync(NODE, [BIN, 'audit', 'verify', '--db', x.url, '--key', keys.publicPath, ...extra], { encoding: 'utf8' });
      const ok = cli();
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /OK — 36 records in 1 chain/);
      assert.match(ok.stdout, /records\/s/);
      const ids = (await x.raw('SELECT id FROM mcp_security_events ORDER BY id')) as { id: number }[];
      const id = (k: number) => Number(ids[k].id);
      // A byte of a hashed record.
      await x.raw(`UPDATE mcp_security_events SET record = replace(record, '/data/4', '/data/5') WHERE id = ${id(5)}`);
      let r = cli();
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`row ${id(5)}: contents changed`));
      await x.raw(`UPDATE mcp_security_events SET record = replace(record, '/data/5', '/data/4') WHERE id = ${id(5)}`);
      // A query column only (the report would lie).
      await x.raw(`UPDATE mcp_security_events SET tool_name = 'read_file' WHERE id = ${id(7)}`);
      r = cli();
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`row ${id(7)}: column tool_name does not match`));
      await x.raw(`UPDATE mcp_security_events SET tool_name = 'delete_file' WHERE id = ${id(7)}`);
      assert.equal(cli().status, 0);
      // Two rows swapped.
      await x.raw(`UPDATE mcp_security_events SET id = -1 WHERE id = ${id(10)}`);
      await x.raw(`UPDATE mcp_security_events SET id = ${id(10)} WHERE id = ${id(11)}`);
      await x.raw(`UPDATE mcp_security_events SET id = ${id(11)} WHERE id = -1`);
      r = cli();
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`row ${id(10)}: chain \\S+: seq`));
      await x.raw(`UPDATE mcp_security_events SET id = -1 WHERE id = ${id(10)}`);
      await x.raw(`UPDATE mcp_security_events SET id = ${id(10)} WHERE id = ${id(11)}`);
      await x.raw(`UPDATE mcp_security_events SET id = ${id(11)} WHERE id = -1`);
      assert.equal(cli().status, 0);
      // A row deleted.
      await x.raw(`DELETE FROM mcp_security_events WHERE id = ${id(20)}`);
      r = cli();
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`row ${id(21)}: chain \\S+: seq \\d+ where \\d+ was expected; 1 record`));
      // The tail cut off (the seal with it).
      await x.raw(`DELETE FROM mcp_security_events WHERE id >= ${id(20)}`);
      r = cli();
      assert.equal(r.status, 1);
      assert.match(r.stdout, /without its seal/);
      assert.equal(cli('--allow-open').status, 0);
    });
  });
}

const sqliteSuite = (dirName: string, make: (path: string) => EventStore) => async () => {
  const path = join(root, dirName, 'events.db');
  const store = () => make(path);
  return {
    store,
    url: path,
    raw: async (sql: string) => {
      const db = new DatabaseSync(path);
      try {
        return /^\s*select/i.test(sql) ? db.prepare(sql).all() : db.exec(sql);
      } finally {
        db.close();
      }
    },
  };
};
suite('SQLite event store (a file)', sqliteSuite('sqlite', (p) => new SqliteEventStore(p)));
suite('SQLite event store in a worker thread (as the gateway runs it)', sqliteSuite('sqlite-worker', (p) => new SqliteWorkerStore(p)));

let pgdb: TempDatabase | undefined;
after(async () => {
  await pgdb?.drop();
  rmSync(root, { recursive: true, force: true });
});

suite('PostgreSQL event store (localhost, own database and schema)', async () => {
  const t = await tempDatabase();
  if (typeof t === 'string') return t;
  pgdb = t;
  const url = `${t.url}?schema=audit_test`;
  return {
    url,
    store: () => new PostgresEventStore({ url: t.url, schema: 'audit_test' }),
    raw: async (sql: string) => {
      const c = new pg.Client({ connectionString: t.url, options: '-c search_path=audit_test' });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    },
  };
});

describe('SQLite file', () => {
  it('is created 0600', async () => {
    const path = join(root, 'mode', 'events.db');
    const s = new SqliteEventStore(path);
    await s.migrate();
    await s.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
