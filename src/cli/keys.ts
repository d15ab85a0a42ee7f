/**
 * `portcullis keys generate [--dir DIR] [--force]`: the hybrid audit signing pair.
 * `portcullis keys admin-token [--out FILE]`: a fresh admin API token and the hash to configure.
 * `portcullis keys api-key --subject S [--roles a,b] [--id ID]`: an API key for a machine caller
 *   and the `mcp.identity.apiKeys` entry (only its hash) to configure.
 * Private material goes to files created 0600; the terminal sees paths, key ids and hashes only
 * (an admin token is printed once, or written to --out, because the operator must hand it on).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { generateKeyFiles, KeyFileError } from '../audit/signing-keys.ts';
import { generateApiKey } from '../identity/api-keys.ts';
import { hashToken } from '../monitor/admin-server.ts';
import { CliError, parse } from './common.ts';
import type { Command } from './main.ts';

const usage = `Usage: portcullis keys generate [--dir DIR] [--force]
       portcullis keys admin-token [--out FILE]
       portcullis keys api-key --subject SUBJECT [--roles a,b] [--id ID]

generate     write the audit signing key pair (Ed25519 + ML-DSA-65) into DIR (default
             ./portcullis-keys): audit-signing.key (private, mode 0600) and audit-signing.pub.
             Configure them under mcp.security.audit.signing (privateKey, publicKey); give the
             .pub to whoever runs 'portcullis audit verify'.
admin-token  create a bearer token for the admin listener; prints the tokenHash for mcp.admin
             (and the token, unless --out FILE writes it there, mode 0600).
api-key      create an API key for a machine caller (sent as "Authorization: Bearer pcl_...");
             prints the key once and the mcp.identity.apiKeys entry holding only its SHA-256
             and when it was made (createdAt: a revocation refuses keys made before it).

Options:
  -d, --dir DIR    where to write the key pair
      --force      replace existing keys (old checkpoints then verify only with the old .pub)
  -o, --out FILE   admin-token: write the token to FILE instead of printing it
      --subject S  api-key: the caller the key identifies (audit records, policy subjects)
      --roles A,B  api-key: roles for tool rules (comma-separated)
      --id ID      api-key: the key's name in audit records (default: a random one)
  -h, --help       this help`;

export const keysCommand: Command = {
  summary: 'generate the audit signing keys, an admin API token, or an API key for a caller',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { dir: { type: 'string', short: 'd' }, force: { type: 'boolean' }, out: { type: 'string', short: 'o' }, subject: { type: 'string' }, roles: { type: 'string' }, id: { type: 'string' } },
      usage,
    );
    const sub = positionals[0];
    if (sub === 'generate') {
      const dir = (values.dir as string | undefined) ?? './portcullis-keys';
      try {
        const k = generateKeyFiles(dir, Boolean(values.force));
        process.stdout.write(
          `wrote ${k.privatePath} (private, mode 0600) and ${k.publicPath}\nkey id ${k.keyId} (ed25519+ml-dsa-65)\n\n` +
            `mcp:\n  security:\n    audit:\n      signing:\n        privateKey: ${k.privatePath}\n        publicKey: ${k.publicPath}\n`,
        );
        return 0;
      } catch (err) {
        if (err instanceof KeyFileError) throw new CliError(err.message, 1);
        throw err;
      }
    }
    if (sub === 'admin-token') {
      const token = randomBytes(32).toString('base64url');
      const hash = hashToken(token);
      if (values.out) {
        try {
          writeFileSync(values.out as string, token + '\n', { mode: 0o600, flag: 'wx' });
        } catch (err) {
          throw new CliError(`${String(values.out)}: cannot write the token (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix: choose a new file, an existing one is never overwritten`, 1);
        }
        process.stdout.write(`wrote the admin token to ${String(values.out)} (mode 0600)\n`);
      } else {
        process.stdout.write(`admin token (shown once; give it to the CLI as PORTCULLIS_ADMIN_TOKEN or --token-file):\n  ${token}\n`);
      }
      process.stdout.write(`\nmcp:\n  admin:\n    enabled: true\n    tokenHash: ${hash}\n`);
      return 0;
    }
    if (sub === 'api-key') return printApiKey(values as { subject?: string; roles?: string; id?: string });
    throw new CliError(`expected 'generate', 'admin-token' or 'api-key'\n\n${usage}`);
  },
};

const NAME_RE = /^[A-Za-z0-9._@:/-]{1,256}$/;

function printApiKey(v: { subject?: string; roles?: string; id?: string }): number {
  if (!v.subject || !NAME_RE.test(v.subject)) throw new CliError(`api-key: --subject is required (letters, digits and . _ @ : / -)\n\n${usage}`);
  const roles = (v.roles ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  const bad = roles.find((r) => !NAME_RE.test(r));
  if (bad !== undefined) throw new CliError(`api-key: role '${bad}': use letters, digits and . _ @ : / -`);
  const id = v.id ?? `key-${randomBytes(4).toString('hex')}`;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new CliError(`api-key: --id '${id}': use 1-64 letters, digits and . _ -`);
  const { key, hash } = generateApiKey();
  process.stdout.write(
    `API key (shown once; the client sends it as "Authorization: Bearer <key>"):\n  ${key}\n\n` +
      `mcp:\n  identity:\n    apiKeys:\n      - id: ${id}\n        hash: ${hash}\n        subject: ${JSON.stringify(v.subject)}\n        roles: [${roles.map((r) => JSON.stringify(r)).join(', ')}]\n` +
      // When it was made: `portcullis revoke` refuses keys that existed before a revocation.
      `        createdAt: ${new Date().toISOString()}\n`,
  );
  return 0;
}
