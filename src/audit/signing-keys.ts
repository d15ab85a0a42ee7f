/**
 * The audit signing keys: a hybrid pair, Ed25519 and ML-DSA-65 (FIPS 204), both from node:crypto.
 * A checkpoint is valid only when both signatures verify, so forging one takes breaking both: the
 * classical scheme today, and the post-quantum one should a quantum computer break Ed25519.
 *
 * Files (`portcullis keys generate`): `audit-signing.key` holds both private keys (PKCS#8 PEM,
 * mode 0600, refused when group or others can read it) and `audit-signing.pub` both public keys
 * (SPKI PEM). The private key is held as a KeyObject and never serialized after loading, so it
 * cannot reach a log or an error message.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SIGNATURE_ALG = 'ed25519+ml-dsa-65';
export const PRIVATE_KEY_FILE = 'audit-signing.key';
export const PUBLIC_KEY_FILE = 'audit-signing.pub';
const PRIVATE_KIND = 'portcullis-audit-signing-key/v1';
const PUBLIC_KIND = 'portcullis-audit-verify-key/v1';

export interface HybridSignature {
  ed25519: string;
  mldsa65: string;
}

export interface CheckpointSigner {
  readonly keyId: string;
  sign(message: Buffer): HybridSignature;
}

export interface CheckpointVerifier {
  readonly keyId: string;
  /** Both signatures must verify. */
  verify(message: Buffer, sig: HybridSignature): boolean;
}

export class KeyFileError extends Error {}

/** A short fingerprint of both public keys: names the key a checkpoint was signed with. */
function keyIdOf(ed: KeyObject, ml: KeyObject): string {
  const h = createHash('sha256');
  h.update(ed.export({ format: 'der', type: 'spki' }));
  h.update(ml.export({ format: 'der', type: 'spki' }));
  return h.digest('hex').slice(0, 16);
}

function readJson(path: string, kind: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyFileError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let obj: Record<string, string>;
  try {
    obj = JSON.parse(text) as Record<string, string>;
  } catch {
    // The parser's message could quote key material: say only what the file is not.
    throw new KeyFileError(`${path}: not a Portcullis key file (not JSON)`);
  }
  if (obj?.kind !== kind || typeof obj.ed25519 !== 'string' || typeof obj.mldsa65 !== 'string') {
    throw new KeyFileError(`${path}: not a ${kind} file`);
  }
  return obj;
}

class Verifier implements CheckpointVerifier {
  readonly keyId: string;
  private readonly ed: KeyObject;
  private readonly ml: KeyObject;
  constructor(ed: KeyObject, ml: KeyObject) {
    this.ed = ed;
    this.ml = ml;
    this.keyId = keyIdOf(ed, ml);
  }
  verify(message: Buffer, sig: HybridSignature): boolean {
    try {
      return verify(null, message, this.ed, Buffer.from(sig.ed25519, 'base64')) && verify(null, message, this.ml, Buffer.from(sig.mldsa65, 'base64'));
    } catch {
      return false;
    }
  }
}

class Signer implements CheckpointSigner {
  readonly keyId: string;
  // Private fields: not enumerable, so not even a careless JSON.stringify(signer) can leak them.
  readonly #ed: KeyObject;
  readonly #ml: KeyObject;
  constructor(ed: KeyObject, ml: KeyObject) {
    this.#ed = ed;
    this.#ml = ml;
    this.keyId = keyIdOf(createPublicKey(ed), createPublicKey(ml));
  }
  sign(message: Buffer): HybridSignature {
    return { ed25519: sign(null, message, this.#ed).toString('base64'), mldsa65: sign(null, message, this.#ml).toString('base64') };
  }
}

export function loadSigner(path: string): CheckpointSigner {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new KeyFileError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new KeyFileError(`${path}: the private signing key is readable by group or others (mode ${(mode & 0o777).toString(8)}); fix: chmod 600 ${path}`);
  }
  const obj = readJson(path, PRIVATE_KIND);
  try {
    return new Signer(createPrivateKey(obj.ed25519), createPrivateKey(obj.mldsa65));
  } catch {
    throw new KeyFileError(`${path}: the private keys do not load`);
  }
}

export function loadVerifier(path: string): CheckpointVerifier {
  const obj = readJson(path, PUBLIC_KIND);
  try {
    return new Verifier(createPublicKey(obj.ed25519), createPublicKey(obj.mldsa65));
  } catch {
    throw new KeyFileError(`${path}: the public keys do not load`);
  }
}

/** Writes a fresh pair into `dir`; refuses to overwrite unless `force`. Returns the paths and key id. */
export function generateKeyFiles(dir: string, force = false): { privatePath: string; publicPath: string; keyId: string } {
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  if (!force && (existsSync(privatePath) || existsSync(publicPath))) {
    throw new KeyFileError(`${dir} already holds audit signing keys; fix: choose another --dir, or --force to replace them (old checkpoints then verify only with the old .pub)`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ed = generateKeyPairSync('ed25519');
  const ml = generateKeyPairSync('ml-dsa-65');
  const pem = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ format: 'pem', type }) as string;
  const priv = JSON.stringify({ kind: PRIVATE_KIND, alg: SIGNATURE_ALG, ed25519: pem(ed.privateKey, 'pkcs8'), mldsa65: pem(ml.privateKey, 'pkcs8') }, null, 2);
  const keyId = keyIdOf(ed.publicKey, ml.publicKey);
  const pub = JSON.stringify({ kind: PUBLIC_KIND, alg: SIGNATURE_ALG, keyId, ed25519: pem(ed.publicKey, 'spki'), mldsa65: pem(ml.publicKey, 'spki') }, null, 2);
  // `wx` unless forced: never follow a planted file; mode 0600 from the first byte.
  writeFileSync(privatePath, priv + '\n', { mode: 0o600, flag: force ? 'w' : 'wx' });
  writeFileSync(publicPath, pub + '\n', { mode: 0o644, flag: force ? 'w' : 'wx' });
  chmodSync(privatePath, 0o600); // a replaced file keeps its old mode otherwise
  return { privatePath, publicPath, keyId };
}
