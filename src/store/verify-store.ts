/**
 * `audit verify --db URL`: the chain over the event store. Each row keeps the exact bytes that
 * were hashed (`record`), so the check is the same as over a file, read in id order, 5,000 rows
 * at a time. A row's query columns must also agree with its record: editing `tool_name` or
 * `severity` would mislead every report while leaving the hashed record intact.
 */
import { ChainVerifier, type VerifyOptions, type VerifyResult } from '../audit/verify-chain.ts';
import { columnMismatch, type EventStore } from './event-store.ts';

const PAGE = 5000;

export async function verifyStore(store: EventStore, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const v = new ChainVerifier(opts);
  let after = 0;
  for (;;) {
    const rows = await store.readChain(after, PAGE);
    for (const row of rows) {
      const where = `row ${row.id}`;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(row.record) as Record<string, unknown>;
      } catch {
        v.fail(where, 'the stored record is not valid JSON (edited)');
        return v.finish();
      }
      if (!v.add(row.record, row.hash, rec, where)) return v.finish();
      const col = columnMismatch(row, rec);
      if (col) {
        v.fail(where, `column ${col} does not match the hashed record (edited)`, String(rec.chain), Number(rec.seq));
        return v.finish();
      }
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
  return v.finish();
}
