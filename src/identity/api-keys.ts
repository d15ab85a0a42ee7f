/**
 * API keys for machine callers: `Authorization: Bearer pcl_<43 base64url chars>` (256 random bits).
 *
 * The configuration holds only `sha256:<hex>` of each key (`portcullis keys api-key` prints a new
 * key and its hash). A plain SHA-256 is the accepted practice for high-entropy random secrets: salts
 * and slow hashes defend low-entropy passwords against dictionaries, and a 256-bit random key has
 * no dictionary; a leaked config still yields no usable key. The presented key is hashed and
 * compared with every configured digest with `timingSafeEqual` (equal lengths, no early exit), so
 * timing says nothing about how much of a hash matched or which entry did.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig } from '../config/identity-schema.ts';
import type { Principal } from '../gateway/session.ts';

export const API_KEY_PREFIX = 'pcl_';
/** `pcl_` + 43 base64url characters; anything else is not one of ours. */
const API_KEY_RE = /^pcl_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): { key: string; hash: string } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export class ApiKeyVerifier {
  private readonly entries: { digest: Buffer; key: ApiKeyConfig; createdMs: number }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.entries = keys.map((key) => ({ digest: Buffer.from(key.hash.slice('sha256:'.length), 'hex'), key, createdMs: key.createdAt ? Date.parse(key.createdAt) : NaN }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The principal of a valid key, else undefined. */
  verify(token: string): Principal | undefined {
    if (!API_KEY_RE.test(token)) return undefined;
    const given = createHash('sha256').update(token).digest();
    let hit: (typeof this.entries)[number] | undefined;
    for (const e of this.entries) if (timingSafeEqual(given, e.digest) && !hit) hit = e;
    if (!hit) return undefined;
    const found = hit.key;
    // The key's issue time, for revocation (incident/revocations.ts). One claimed in the future is
    // not believed: it would outlive every revocation made until then.
    const p: Principal = { subject: found.subject, method: 'api-key', roles: [...found.roles], groups: [...found.groups], scopes: [...found.scopes], credential: found.id };
    if (hit.createdMs <= Date.now()) p.issuedAt = hit.createdMs / 1000;
    return p;
  }
}
