/**
 * The tamper-evident chain every audit sink writes.
 *
 * Each record gets `chain` (this writer's chain id), `seq` (0, 1, 2, ...) and `prev` (the hash of
 * the record before it), and its `hash` is SHA-256 over the JSON text of everything else, exactly
 * the bytes that are written: one serialization per record (JSON.stringify, members in the order
 * the gateway built them), not a second canonical one. Every reader verifies those stored bytes
 * (a file line minus its hash suffix, the event store's `record` column) and never re-serializes,
 * so the order of the members need not be canonical; only the checkpoint signature's message,
 * rebuilt from parsed fields, is canonical JSON.
 * Changing, removing, inserting or moving a record breaks a `prev` link or a `seq` step.
 *
 * A hash chain alone can be recomputed by whoever can write the file, so the chain is anchored by
 * checkpoints: records (`event: audit_checkpoint`) that sign the hash of the record before them
 * with the hybrid key (Ed25519 + ML-DSA-65). One opens every chain (`start`), one follows every
 * `everyRecords` records and periodically (`periodic`), a pair marks a move to a new file
 * (`rotate-out` ends the old file, `rotate-in` begins the new one) and one seals the chain on
 * a clean shutdown (`close`). A truncated chain lacks its seal; a forged one lacks valid signatures.
 *
 * One chain per gateway process, shared by its sinks (audit-log.ts): the file, the store and the
 * webhook get the same entries. Several gateways may append to one file (one per stdio client) or
 * one table, and each keeps its own chain; the verifier follows each separately.
 *
 * Wire form of one record: its JSON text with `"hash":"<hex>"` appended as the last member.
 * The verifier hashes those exact bytes minus the suffix; it never re-serializes.
 */
import { hash, randomBytes } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { SIGNATURE_ALG, type CheckpointSigner, type HybridSignature } from './signing-keys.ts';

export const CHECKPOINT_EVENT = 'audit_checkpoint';
export const GENESIS_PREV = '0'.repeat(64);
/** `,"hash":"` + 64 hex digits + `"}`. */
export const HASH_SUFFIX_LENGTH = 75;
const SIGNING_DOMAIN = 'portcullis-audit-checkpoint-v1\n';
const RESERVED = ['chain', 'seq', 'prev', 'hash'] as const;

export type CheckpointReason = 'start' | 'periodic' | 'rotate-out' | 'rotate-in' | 'close';

export interface CheckpointDetail {
  reason: CheckpointReason;
  alg: string;
  keyId: string | null;
  sig: HybridSignature | null;
}

export interface ChainEntry {
  /** The record as hashed, with chain, seq and prev (no hash). */
  record: Record<string, unknown>;
  /** JSON text of `record`: the bytes hashed and written. */
  body: string;
  hash: string;
  /** `body` with the hash appended: the line written to a file. */
  line: string;
}

export interface HashChainOptions {
  signer?: CheckpointSigner;
  /** A checkpoint after this many records (0: none by count). @default 1000 */
  everyRecords?: number;
  clock?: () => Date;
  /** For tests; default 96 random bits. */
  id?: string;
}

/** One-shot `crypto.hash`: half the cost of createHash().update().digest() per record. */
export const sha256Hex = (data: string | Buffer): string => hash('sha256', data, 'hex');

/** What a checkpoint signs: the chain position and the hash of the record before it. */
export function checkpointMessage(rec: { chain: unknown; seq: unknown; prev: unknown; time: unknown; detail?: { reason?: unknown } }): Buffer {
  return Buffer.from(SIGNING_DOMAIN + canonicalJson({ chain: rec.chain, seq: rec.seq, prev: rec.prev, time: rec.time, reason: rec.detail?.reason }));
}

export function toEntry(record: Record<string, unknown>): ChainEntry {
  const body = JSON.stringify(record);
  const hash = sha256Hex(body);
  return { record, body, hash, line: `${body.slice(0, -1)},"hash":"${hash}"}` };
}

export class HashChain {
  readonly id: string;
  private readonly signer: CheckpointSigner | undefined;
  private readonly everyRecords: number;
  private readonly clock: () => Date;
  private seq = 0;
  private prev = GENESIS_PREV;
  private sinceCheckpoint = 0;
  private sealed = false;

  constructor(opts: HashChainOptions = {}) {
    this.id = opts.id ?? randomBytes(12).toString('base64url');
    this.signer = opts.signer;
    this.everyRecords = opts.everyRecords ?? 1000;
    this.clock = opts.clock ?? (() => new Date());
  }

  get signed(): boolean {
    return this.signer !== undefined;
  }

  /** Records written since the last checkpoint. */
  get pending(): number {
    return this.sinceCheckpoint;
  }

  /** The chain's first record: the `start` checkpoint. Sinks write it when they open. */
  begin(): ChainEntry {
    if (this.seq !== 0) throw new Error(`audit chain ${this.id} has begun already`);
    return this.checkpoint('start');
  }

  /** Chains `rec` (its own chain fields, if any, are replaced); adds a checkpoint when one is due. */
  append(rec: object): ChainEntry[] {
    this.assertOpen();
    const out: ChainEntry[] = [];
    const copy: Record<string, unknown> = { ...(rec as Record<string, unknown>) };
    for (const k of RESERVED) delete copy[k];
    out.push(this.link(copy));
    this.sinceCheckpoint++;
    if (this.everyRecords > 0 && this.sinceCheckpoint >= this.everyRecords) out.push(this.checkpoint('periodic'));
    return out;
  }

  /** A signed checkpoint over everything chained so far. `close` seals the chain. */
  checkpoint(reason: CheckpointReason): ChainEntry {
    if (reason !== 'start') this.assertOpen();
    const rec: Record<string, unknown> = { time: this.clock().toISOString(), event: CHECKPOINT_EVENT, severity: 'info', chain: this.id, seq: this.seq, prev: this.prev };
    const sig = this.signer ? this.signer.sign(checkpointMessage({ chain: this.id, seq: this.seq, prev: this.prev, time: rec.time, detail: { reason } })) : null;
    const detail: CheckpointDetail = { reason, alg: SIGNATURE_ALG, keyId: this.signer?.keyId ?? null, sig };
    rec.detail = detail;
    this.sinceCheckpoint = 0;
    if (reason === 'close') this.sealed = true;
    return this.commit(rec);
  }

  private assertOpen(): void {
    if (this.seq === 0) throw new Error(`audit chain ${this.id} has not begun`);
    if (this.sealed) throw new Error(`audit chain ${this.id} is sealed`);
  }

  private link(rec: Record<string, unknown>): ChainEntry {
    rec.chain = this.id;
    rec.seq = this.seq;
    rec.prev = this.prev;
    return this.commit(rec);
  }

  private commit(rec: Record<string, unknown>): ChainEntry {
    const e = toEntry(rec);
    this.prev = e.hash;
    this.seq++;
    return e;
  }
}
