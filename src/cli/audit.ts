/**
 * `portcullis audit verify FILE... | --db URL | --config FILE`: check the tamper-evident chain
 * (audit/hash-chain.ts) of audit files or of the event store, name the first bad record, and
 * report the speed. Exit 0 when intact, 1 when not (or when a chain ends without its seal and
 * --allow-open was not given).
 */
import { existsSync } from 'node:fs';
import { KeyFileError, loadVerifier, type CheckpointVerifier } from '../audit/signing-keys.ts';
import type { VerifyResult } from '../audit/verify-chain.ts';
import { auditFileSeries, verifyAuditFiles } from '../audit/verify-files.ts';
import { loadConfigFile } from '../config/load.ts';
import { storeFromConfig, storeFromUrl } from '../store/open-store.ts';
import { verifyStore } from '../store/verify-store.ts';
import { CliError, loadOrExplain, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis audit verify FILE... [--only] [--key PUB] [--allow-open] [--json]
       portcullis audit verify --db URL [--key PUB] [--allow-open] [--json]
       portcullis audit verify --config FILE [--allow-open] [--json]

Check that audit records were not edited, deleted, inserted, reordered or truncated: every
record hashes to its stored hash and links to the one before it, every chain begins with its
start checkpoint and ends with its seal, and (with the public key) every checkpoint carries
valid Ed25519 and ML-DSA-65 signatures. The first bad record is named (file:line or row id).

A FILE's rotated archives (FILE.YYYY-MM-DD[.N]) are verified with it, oldest first.

Options:
      --db URL        the event store: postgres://... (?schema=NAME), sqlite:PATH or a .db path
  -c, --config FILE   every file destination and the event store of this configuration, with
                      the key from mcp.security.audit.signing.publicKey
      --key PUB       audit-signing.pub (without it signatures are not checked, and a rewrite
                      by someone who can write the log goes unnoticed)
      --only          just the files given, not their archives (a chain may begin or end at a
                      rotation)
      --allow-open    accept chains without a seal (a gateway still running, or after a crash)
      --json          machine-readable result
  -h, --help          this help`;

function describe(label: string, r: VerifyResult): string {
  const sealed = r.chains.filter((c) => c.end === 'sealed').length;
  const open = r.chains.filter((c) => c.end === 'open').length;
  const head = r.ok
    ? `${label}: OK — ${r.records} records in ${r.chains.length} chain(s) (${sealed} sealed${open ? `, ${open} open` : ''}), signatures ${r.signatures}`
    : `${label}: TAMPERED — ${r.problem!.where}: ${r.problem!.message}`;
  const speed = `  ${r.records} records in ${r.elapsedMs.toFixed(1)} ms (${r.recordsPerSecond.toLocaleString('en-US')} records/s)`;
  return [head, speed, ...r.warnings.map((w) => `  warning: ${w}`)].join('\n');
}

export const auditCommand: Command = {
  summary: 'verify the tamper-evident audit chain of files or the event store',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { db: { type: 'string' }, config: { type: 'string', short: 'c' }, key: { type: 'string' }, only: { type: 'boolean' }, 'allow-open': { type: 'boolean' }, json: { type: 'boolean' } },
      usage,
    );
    if (positionals[0] !== 'verify') throw new CliError(`expected 'verify'\n\n${usage}`);
    const files = positionals.slice(1);
    let keyPath = values.key as string | undefined;
    const targets: { label: string; run: (v?: CheckpointVerifier) => Promise<VerifyResult> }[] = [];
    const allowOpen = Boolean(values['allow-open']);
    if (values.config) {
      const loaded = loadOrExplain(() => loadConfigFile(values.config as string));
      const a = loaded.config.mcp.security.audit;
      keyPath ??= a.signing.publicKey;
      for (const d of a.destinations) {
        if (d.type === 'file') files.push(d.path);
      }
      targets.push({
        label: 'event store',
        run: async (verifier) => {
          const store = storeFromConfig(loaded.config, { readOnly: true });
          try {
            return await verifyStore(store, { verifier, allowOpen });
          } finally {
            await store.close();
          }
        },
      });
    }
    if (values.db) {
      const url = values.db as string;
      targets.push({
        label: url.startsWith('postgres') ? 'event store (postgres)' : `event store ${url}`,
        run: async (verifier) => {
          if (!/^postgres/.test(url) && !existsSync(url.replace(/^sqlite:/, ''))) throw new CliError(`${url}: no such database file`, 1);
          const store = storeFromUrl(url, { readOnly: true });
          try {
            return await verifyStore(store, { verifier, allowOpen });
          } finally {
            await store.close();
          }
        },
      });
    }
    for (const f of files) {
      const series = values.only ? [f] : auditFileSeries(f);
      if (!series.length || !series.every((p) => existsSync(p))) throw new CliError(`${f}: no such audit file`, 1);
      targets.unshift({ label: series.length > 1 ? `${f} (+${series.length - 1} archive(s))` : f, run: (verifier) => verifyAuditFiles(series, { verifier, allowOpen, partial: Boolean(values.only) }) });
    }
    if (!targets.length) throw new CliError(`give audit files, --db URL or --config FILE\n\n${usage}`);
    let verifier: CheckpointVerifier | undefined;
    if (keyPath) {
      try {
        verifier = loadVerifier(keyPath);
      } catch (err) {
        if (err instanceof KeyFileError) throw new CliError(err.message, 1);
        throw err;
      }
    }
    let ok = true;
    const results: Record<string, VerifyResult> = {};
    for (const t of targets) {
      const r = await t.run(verifier);
      results[t.label] = r;
      ok &&= r.ok;
      if (!values.json) process.stdout.write(describe(t.label, r) + '\n');
    }
    if (values.json) process.stdout.write(JSON.stringify({ ok, results }, null, 2) + '\n');
    return ok ? 0 : 1;
  },
};
