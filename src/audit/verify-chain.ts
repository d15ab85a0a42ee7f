/**
 * Verifying audit chains (see hash-chain.ts), record by record, whatever they were read from.
 *
 * Every record must hash to its `hash`, follow its chain's previous record (`seq` + 1, `prev` =
 * the hash before it), and every checkpoint must carry valid hybrid signatures when a verify key
 * is given. A chain must begin with its `start` checkpoint (or a `rotate-in` one when the earlier
 * file is not in the set) and end with its `close` seal; a chain without a seal was truncated, or
 * its gateway is still running or crashed (`allowOpen`). The first problem stops verification and
 * names the record: its file and line, or its row.
 */
import type { CheckpointVerifier, HybridSignature } from './signing-keys.ts';
import { CHECKPOINT_EVENT, checkpointMessage, GENESIS_PREV, sha256Hex, type CheckpointDetail } from './hash-chain.ts';

export interface VerifyOptions {
  /** The public key; without it signatures are reported as not checked. */
  verifier?: CheckpointVerifier;
  /** Accept chains that end without a seal (a live log, or after a crash). */
  allowOpen?: boolean;
  /** The set is one file out of a rotated series: chains may end where they moved to a later file. */
  partial?: boolean;
}

export interface VerifyProblem {
  /** `file:line` or `row <id>`. */
  where: string;
  chain?: string;
  seq?: number;
  message: string;
}

export interface ChainSummary {
  id: string;
  records: number;
  firstSeq: number;
  lastSeq: number;
  checkpoints: number;
  end: 'sealed' | 'rotated' | 'open';
  /** Records after the last checkpoint (chained, not yet signed). */
  unsigned: number;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  chains: ChainSummary[];
  problem?: VerifyProblem;
  signatures: 'verified' | 'not checked' | 'absent';
  warnings: string[];
  elapsedMs: number;
  recordsPerSecond: number;
}

interface ChainState {
  summary: ChainSummary;
  nextSeq: number;
  prev: string;
  lastReason?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ChainVerifier {
  private readonly opts: VerifyOptions;
  private readonly chains = new Map<string, ChainState>();
  private readonly started = performance.now();
  private records = 0;
  private signedCheckpoints = 0;
  private readonly notes: string[] = [];
  private unsignedCheckpoints = 0;
  problem: VerifyProblem | undefined;

  constructor(opts: VerifyOptions = {}) {
    this.opts = opts;
  }

  fail(where: string, message: string, chain?: string, seq?: number): false {
    this.problem ??= { where, message, chain, seq };
    return false;
  }

  /**
   * One record: `body` is the exact bytes that were hashed (the record's JSON text without the hash),
   * `hash` the hash stored with it, `rec` its parsed fields. Returns false once a problem is found.
   */
  add(body: Buffer | string, hash: string, rec: Record<string, unknown>, where: string): boolean {
    if (this.problem) return false;
    this.records++;
    if (!HEX64.test(hash)) return this.fail(where, 'no valid hash: not a chained audit record');
    const h = sha256Hex(body);
    if (h !== hash) return this.fail(where, 'contents changed: the record does not hash to its stored hash', str(rec.chain), num(rec.seq));
    const chain = rec.chain;
    const seq = rec.seq;
    const prev = rec.prev;
    if (typeof chain !== 'string' || !Number.isSafeInteger(seq) || (seq as number) < 0 || typeof prev !== 'string') {
      return this.fail(where, 'missing chain fields (chain, seq, prev)');
    }
    const s = seq as number;
    const cp = rec.event === CHECKPOINT_EVENT ? (rec.detail as CheckpointDetail | undefined) : undefined;
    let st = this.chains.get(chain);
    if (!st) {
      if (s === 0) {
        if (cp?.reason !== 'start' || prev !== GENESIS_PREV) return this.fail(where, `chain ${chain} begins without its start checkpoint`, chain, s);
      } else if (cp?.reason !== 'rotate-in') {
        return this.fail(where, `chain ${chain} begins at seq ${s}: the records before it are missing (deleted, or in a file not given)`, chain, s);
      } else {
        this.notes.push(`chain ${chain} begins at ${where} where it moved from an earlier file that was not given (removed by retention?)`);
      }
      st = { summary: { id: chain, records: 0, firstSeq: s, lastSeq: s, checkpoints: 0, end: 'open', unsigned: 0 }, nextSeq: s, prev };
      this.chains.set(chain, st);
    }
    if (st.lastReason === 'close') return this.fail(where, `record after chain ${chain} was sealed: inserted or appended later`, chain, s);
    if (s !== st.nextSeq) {
      const what = s < st.nextSeq ? 'repeats or goes back: a record was inserted or moved' : `${s - st.nextSeq} record(s) before it are missing, or records were moved`;
      return this.fail(where, `chain ${chain}: seq ${s} where ${st.nextSeq} was expected; ${what}`, chain, s);
    }
    if (prev !== st.prev) return this.fail(where, `chain ${chain} seq ${s}: prev is not the hash of the record before it (inserted, replaced or moved)`, chain, s);
    if (cp) {
      if (!this.checkSignature(rec, cp, where, chain, s)) return false;
      st.summary.checkpoints++;
      st.summary.unsigned = 0;
      st.lastReason = cp.reason;
    } else {
      st.summary.unsigned++;
      st.lastReason = undefined;
    }
    st.summary.records++;
    st.summary.lastSeq = s;
    st.nextSeq = s + 1;
    st.prev = hash;
    return true;
  }

  private checkSignature(rec: Record<string, unknown>, cp: CheckpointDetail, where: string, chain: string, seq: number): boolean {
    if (!cp.sig) {
      this.unsignedCheckpoints++;
      if (this.opts.verifier) return this.fail(where, `checkpoint is not signed, but a verify key was given`, chain, seq);
      return true;
    }
    this.signedCheckpoints++;
    const v = this.opts.verifier;
    if (!v) return true;
    if (cp.keyId !== v.keyId) return this.fail(where, `checkpoint signed with key ${String(cp.keyId)}, not with the given key ${v.keyId}`, chain, seq);
    const msg = checkpointMessage(rec as Parameters<typeof checkpointMessage>[0]);
    if (!v.verify(msg, cp.sig as HybridSignature)) return this.fail(where, 'checkpoint signature does not verify (Ed25519 + ML-DSA-65)', chain, seq);
    return true;
  }

  finish(): VerifyResult {
    const warnings: string[] = [...this.notes];
    for (const st of this.chains.values()) {
      const c = st.summary;
      c.end = st.lastReason === 'close' ? 'sealed' : st.lastReason === 'rotate-out' ? 'rotated' : 'open';
      if (this.problem) continue;
      if (c.end === 'rotated' && !this.opts.partial) {
        this.fail(`chain ${c.id}`, `chain ${c.id} moved to a later file after seq ${c.lastSeq}, and that file is missing`, c.id, c.lastSeq);
      } else if (c.end === 'open') {
        const msg = `chain ${c.id} ends at seq ${c.lastSeq} without its seal: truncated after it, or its gateway is still running or crashed`;
        if (this.opts.allowOpen) warnings.push(`${msg} (${c.unsigned} record(s) after the last checkpoint)`);
        else this.fail(`chain ${c.id}`, `${msg} (use --allow-open for a live log)`, c.id, c.lastSeq);
      }
    }
    if (!this.opts.verifier && this.signedCheckpoints) warnings.push('signatures not checked: give the public key (--key audit-signing.pub) to verify them');
    if (this.unsignedCheckpoints && !this.opts.verifier) warnings.push(`${this.unsignedCheckpoints} checkpoint(s) are unsigned (no signing key configured): the chain shows accidental damage, not a rewrite`);
    const elapsedMs = performance.now() - this.started;
    return {
      ok: !this.problem,
      records: this.records,
      chains: [...this.chains.values()].map((s) => s.summary),
      problem: this.problem,
      signatures: this.opts.verifier ? 'verified' : this.signedCheckpoints ? 'not checked' : 'absent',
      warnings,
      elapsedMs,
      recordsPerSecond: elapsedMs > 0 ? Math.round(this.records / (elapsedMs / 1000)) : this.records,
    };
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
