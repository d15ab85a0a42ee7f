/**
 * The tamper-evident audit chain over files: every kind of tampering (edit a byte, delete,
 * insert, swap, truncate, rewrite without the key) is detected and the first bad record named;
 * the chain goes on across daily rotation and across writers sharing one file.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { FileAuditSink } from '../../src/audit/file-audit-sink.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import { HashChain, sha256Hex } from '../../src/audit/hash-chain.ts';
import { generateKeyFiles, KeyFileError, loadSigner, loadVerifier, type CheckpointSigner, type CheckpointVerifier } from '../../src/audit/signing-keys.ts';
import { auditFileSeries, verifyAuditFiles } from '../../src/audit/verify-files.ts';

const root = mkdtempSync(join(tmpdir(), 'portcullis-chain-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `case-${++n}`, 'audit.log');

let signer: CheckpointSigner;
let verifier: CheckpointVerifier;
let otherVerifier: CheckpointVerifier;
before(() => {
  const k = generateKeyFiles(join(root, 'keys'));
  signer = loadSigner(k.privatePath);
  verifier = loadVerifier(k.publicPath);
  otherVerifier = loadVerifier(generateKeyFiles(join(root, 'other-keys')).publicPath);
});

/** An audit log writing one file, its chain signed, a checkpoint every `everyRecords`. */
function fileLog(path: string, opts: { clock?: () => Date; everyRecords?: number; rotation?: 'daily' | 'none' } = {}): AuditLog {
  const chain = new HashChain({ signer, everyRecords: opts.everyRecords ?? 10, clock: opts.clock });
  const sink = new FileAuditSink({ path, rotation: opts.rotation ?? 'none', clock: opts.clock });
  return new AuditLog({ sinks: [sink], events: AUDIT_EVENTS, level: 'detailed', chain, clock: opts.clock, checkpointEverySeconds: 0 });
}

async function writeLog(path: string, count: number): Promise<void> {
  const log = fileLog(path);
  for (let i = 0; i < count; i++) log.emit({ time: new Date(Date.UTC(2025, 2, 1, 12, 0, i)).toISOString(), event: 'tool_invoked', tool: `tool-${i}`, requestId: i });
  await log.close();
}

const lines = (p: string): string[] => readFileSync(p, 'utf8').split('\n').filter(Boolean);
const save = (p: string, ls: string[]): void => writeFileSync(p, ls.map((l) => l + '\n').join(''));
const lineOf = (p: string, requestId: number): number => lines(p).findIndex((l) => JSON.parse(l).requestId === requestId) + 1;

describe('audit chain over a file', () => {
  it('an untouched log verifies: every record chained, checkpoints signed, chain sealed', async () => {
    const path = fresh();
    await writeLog(path, 35);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, true, JSON.stringify(r.problem));
    assert.equal(r.signatures, 'verified');
    assert.equal(r.chains.length, 1);
    assert.equal(r.chains[0].end, 'sealed');
    // start + 35 records + 3 periodic (every 10) + close
    assert.equal(r.records, 40);
    assert.equal(r.chains[0].checkpoints, 5);
    assert.ok(r.recordsPerSecond > 0);
    const first = JSON.parse(lines(path)[0]);
    assert.equal(first.event, 'audit_checkpoint');
    assert.equal(first.detail.reason, 'start');
    assert.equal(first.detail.alg, 'ed25519+ml-dsa-65');
  });

  it('an edited byte is found, and the record named', async () => {
    const path = fresh();
    await writeLog(path, 20);
    const ls = lines(path);
    const at = lineOf(path, 7);
    ls[at - 1] = ls[at - 1].replace('tool-7', 'tool-X');
    save(path, ls);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.equal(r.problem!.where, `${path}:${at}`);
    assert.match(r.problem!.message, /contents changed/);
  });

  it('a member named __proto__ is written and hashed like any other: editing it is found', async () => {
    // Parsed JSON holds `__proto__` as an own key; the canonical form must keep it, or the
    // member would vanish from the line and nothing would protect what it said.
    const path = fresh();
    const log = fileLog(path);
    log.emit({ event: 'tool_invoked', requestId: 1, detail: JSON.parse('{"__proto__":{"role":"admin"},"note":"x"}') as Record<string, unknown> });
    await log.close();
    const ls = lines(path);
    const at = lineOf(path, 1);
    assert.match(ls[at - 1], /"__proto__":\{"role":"admin"\}/);
    assert.equal((await verifyAuditFiles([path], { verifier })).ok, true);
    ls[at - 1] = ls[at - 1].replace('"admin"', '"guest"');
    save(path, ls);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.equal(r.problem!.where, `${path}:${at}`);
  });

  it('an edited hash, or an edit that breaks the JSON, is found', async () => {
    const path = fresh();
    await writeLog(path, 5);
    const ls = lines(path);
    ls[2] = ls[2].slice(0, -3) + (ls[2].at(-3) === 'a' ? 'b' : 'a') + ls[2].slice(-2);
    save(path, ls);
    assert.equal((await verifyAuditFiles([path], { verifier })).problem!.where, `${path}:3`);
    ls[2] = ls[2].replace('{', '[');
    save(path, ls);
    assert.equal((await verifyAuditFiles([path], { verifier })).problem!.where, `${path}:3`);
  });

  it('a deleted line is found where the gap is', async () => {
    const path = fresh();
    await writeLog(path, 20);
    const ls = lines(path);
    const at = lineOf(path, 12);
    ls.splice(at - 1, 1);
    save(path, ls);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.equal(r.problem!.where, `${path}:${at}`);
    assert.match(r.problem!.message, /1 record\(s\) before it are missing/);
  });

  it('two swapped lines are found', async () => {
    const path = fresh();
    await writeLog(path, 20);
    const ls = lines(path);
    const a = lineOf(path, 4);
    [ls[a - 1], ls[a]] = [ls[a], ls[a - 1]];
    save(path, ls);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.equal(r.problem!.where, `${path}:${a}`);
  });

  it('an inserted line (a copy of a real record) is found', async () => {
    const path = fresh();
    await writeLog(path, 20);
    const ls = lines(path);
    const a = lineOf(path, 9);
    ls.splice(a, 0, ls[a - 3]);
    save(path, ls);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.equal(r.problem!.where, `${path}:${a + 1}`);
    assert.match(r.problem!.message, /repeats or goes back/);
  });

  it('truncation is found: whole lines cut (no seal), or cut inside a line', async () => {
    const path = fresh();
    await writeLog(path, 20);
    const ls = lines(path);
    save(path, ls.slice(0, -3));
    let r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.match(r.problem!.message, /without its seal/);
    // A live log may be open: with --allow-open it verifies, with a warning.
    r = await verifyAuditFiles([path], { verifier, allowOpen: true });
    assert.equal(r.ok, true);
    assert.match(r.warnings.join('\n'), /without its seal/);
    const text = ls.join('\n') + '\n';
    writeFileSync(path, text.slice(0, text.length - 40));
    r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.match(r.problem!.message, /truncated inside it/);
  });

  it('the head cut off is found (the chain must begin with its start checkpoint)', async () => {
    const path = fresh();
    await writeLog(path, 20);
    save(path, lines(path).slice(4));
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.equal(r.problem!.where, `${path}:1`);
    assert.match(r.problem!.message, /records before it are missing/);
  });

  it('a rewrite that recomputes every hash passes the hash chain but not the signatures', async () => {
    const path = fresh();
    await writeLog(path, 20);
    let prev = '0'.repeat(64);
    const forged = lines(path).map((l) => {
      const rec = JSON.parse(l);
      delete rec.hash;
      if (rec.requestId === 5) rec.tool = 'innocent';
      rec.prev = prev;
      const body = canonical(rec);
      prev = sha256Hex(body);
      return `${body.slice(0, -1)},"hash":"${prev}"}`;
    });
    save(path, forged);
    const unsignedCheck = await verifyAuditFiles([path]);
    assert.equal(unsignedCheck.ok, true, 'without the key only the hash chain is checked');
    assert.equal(unsignedCheck.signatures, 'not checked');
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, false);
    assert.match(r.problem!.message, /signature does not verify/);
  });

  it('checkpoints signed with another key are refused', async () => {
    const path = fresh();
    await writeLog(path, 3);
    const r = await verifyAuditFiles([path], { verifier: otherVerifier });
    assert.equal(r.ok, false);
    assert.match(r.problem!.message, /not with the given key/);
  });

  it('the chain goes on across daily rotation; a missing file is found', async () => {
    const path = fresh();
    const clock = { now: new Date('2025-03-01T12:00:00Z') };
    const log = fileLog(path, { clock: () => clock.now, everyRecords: 0, rotation: 'daily' });
    for (let day = 1; day <= 3; day++) {
      clock.now = new Date(`2025-03-0${day}T12:00:00Z`);
      for (let i = 0; i < 4; i++) log.emit({ event: 'tool_invoked', requestId: day * 10 + i });
      await log.flush();
    }
    await log.close();
    const series = auditFileSeries(path);
    assert.deepEqual(series.map((p) => p.slice(path.length)), ['.2025-03-01', '.2025-03-02', '']);
    const whole = await verifyAuditFiles(series, { verifier });
    assert.equal(whole.ok, true, JSON.stringify(whole.problem));
    assert.equal(whole.chains.length, 1);
    assert.equal(whole.chains[0].end, 'sealed');
    // Each file verifies on its own as part of a series.
    const middle = await verifyAuditFiles([`${path}.2025-03-02`], { verifier, partial: true });
    assert.equal(middle.ok, true, JSON.stringify(middle.problem));
    // Without the middle file the chain breaks.
    const gap = await verifyAuditFiles([`${path}.2025-03-01`, path], { verifier });
    assert.equal(gap.ok, false);
    assert.match(gap.problem!.message, /seq \d+ where \d+ was expected/);
    // Without the newest file the chain moved on to nowhere.
    const cut = await verifyAuditFiles([`${path}.2025-03-01`, `${path}.2025-03-02`], { verifier });
    assert.equal(cut.ok, false);
    assert.match(cut.problem!.message, /moved to a later file/);
  });

  it('two writers sharing one file keep two chains, both verified', async () => {
    const path = fresh();
    const a = fileLog(path);
    const b = fileLog(path);
    for (let i = 0; i < 10; i++) {
      a.emit({ event: 'tool_invoked', requestId: i });
      await a.flush();
      b.emit({ event: 'tool_denied', requestId: i });
      await b.flush();
    }
    await Promise.all([a.close(), b.close()]);
    const r = await verifyAuditFiles([path], { verifier });
    assert.equal(r.ok, true, JSON.stringify(r.problem));
    assert.equal(r.chains.length, 2);
    assert.ok(r.chains.every((c) => c.end === 'sealed'));
  });
});

describe('audit signing keys', () => {
  it('the private key file is 0600, never overwritten without --force, and refused when others can read it', () => {
    const dir = join(root, 'keys-mode');
    const k = generateKeyFiles(dir);
    assert.equal(statSync(k.privatePath).mode & 0o777, 0o600);
    assert.throws(() => generateKeyFiles(dir), KeyFileError);
    assert.deepEqual(readdirSync(dir).sort(), ['audit-signing.key', 'audit-signing.pub']);
    chmodSync(k.privatePath, 0o644);
    assert.throws(() => loadSigner(k.privatePath), /readable by group or others/);
    const replaced = generateKeyFiles(dir, true);
    assert.equal(statSync(replaced.privatePath).mode & 0o777, 0o600);
    assert.notEqual(replaced.keyId, k.keyId);
  });

  it('no key material in any message or serialization of a signer', () => {
    const k = generateKeyFiles(join(root, 'keys-leak'));
    const s = loadSigner(k.privatePath);
    const pem = JSON.parse(readFileSync(k.privatePath, 'utf8')).ed25519 as string;
    const body = pem.split('\n')[1];
    assert.equal(JSON.stringify(s).includes(body), false);
    writeFileSync(join(root, 'keys-leak', 'broken.key'), 'oops ' + body, { mode: 0o600 });
    assert.throws(
      () => loadSigner(join(root, 'keys-leak', 'broken.key')),
      (e: Error) => !e.message.includes(body),
    );
  });
});

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}
