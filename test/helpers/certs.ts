/**
 * Real certificates for TLS tests, made with the `openssl` CLI (argv arrays, no shell): a CA, a
 * server certificate for localhost/127.0.0.1, client certificates (one with a SPIFFE URI SAN, one
 * CN-only), and a second, untrusted CA with a client certificate of its own.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './gateway-process.ts';

export interface Pair {
  cert: string;
  key: string;
  /** SHA-256 of the DER, colon hex (Node's `fingerprint256`). */
  fingerprint: string;
}

export interface TestPki {
  dir: string;
  ca: Pair;
  server: Pair;
  /** URI SAN spiffe://portcullis.test/agent/alpha, CN alpha. */
  clientSpiffe: Pair;
  /** CN bob, no SAN. */
  clientCn: Pair;
  untrustedCa: Pair;
  /** CN mallory, signed by the untrusted CA. */
  clientUntrusted: Pair;
  /** Issue another leaf from `ca` (e.g. a renewed server certificate). */
  issue(name: string, opts: { cn: string; san?: string; usage: 'serverAuth' | 'clientAuth'; ca?: Pair }): Pair;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function pair(dir: string, name: string): Pair {
  const cert = join(dir, `${name}.crt`);
  return { cert, key: join(dir, `${name}.key`), fingerprint: new X509Certificate(readFileSync(cert)).fingerprint256 };
}

function makeCa(dir: string, name: string, cn: string): Pair {
  openssl(['req', '-x509', ...EC, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`), '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return pair(dir, name);
}

function makeLeaf(dir: string, name: string, ca: Pair, opts: { cn: string; san?: string; usage: 'serverAuth' | 'clientAuth' }): Pair {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', '-new', ...EC, '-keyout', join(dir, `${name}.key`), '-out', csr, '-subj', `/CN=${opts.cn}`]);
  writeFileSync(ext, [`basicConstraints=CA:FALSE`, `extendedKeyUsage=${opts.usage}`, ...(opts.san ? [`subjectAltName=${opts.san}`] : [])].join('\n') + '\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2', '-out', join(dir, `${name}.crt`), '-extfile', ext]);
  return pair(dir, name);
}

export function makePki(): TestPki {
  const dir = tempDir('portcullis-pki-');
  const ca = makeCa(dir, 'ca', 'Portcullis Test CA');
  const untrustedCa = makeCa(dir, 'untrusted-ca', 'Untrusted CA');
  return {
    dir,
    ca,
    server: makeLeaf(dir, 'server', ca, { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1', usage: 'serverAuth' }),
    clientSpiffe: makeLeaf(dir, 'client-spiffe', ca, { cn: 'alpha', san: 'URI:spiffe://portcullis.test/agent/alpha', usage: 'clientAuth' }),
    clientCn: makeLeaf(dir, 'client-cn', ca, { cn: 'bob', usage: 'clientAuth' }),
    untrustedCa,
    clientUntrusted: makeLeaf(dir, 'client-untrusted', untrustedCa, { cn: 'mallory', usage: 'clientAuth' }),
    issue: (name, opts) => makeLeaf(dir, name, opts.ca ?? ca, opts),
  };
}
