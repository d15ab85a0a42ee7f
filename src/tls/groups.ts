/**
 * Key-exchange groups and how to learn which one a TLS 1.3 handshake used.
 *
 * Post-quantum: every listener and upstream connection offers the hybrid X25519MLKEM768
 * (draft-ietf-tls-ecdhe-mlkem, codepoint 0x11EC; OpenSSL 3.5, which Node 24 bundles) first, so a
 * recording of today's traffic cannot be decrypted by a future quantum computer ("harvest now,
 * decrypt later"). `requirePostQuantum` offers only the hybrid: a classical-only peer then fails
 * the handshake (no shared group) instead of silently downgrading.
 *
 * Which group was negotiated: `getEphemeralKeyInfo()` names it on a *client* socket
 * (`{ type: 'TLSGroup', name: 'X25519MLKEM768' }` in Node 24.21), but returns null on a server
 * socket. On the server side the group is read from the session: OpenSSL serializes it as the
 * `kex_group` field (context tag [19], an INTEGER holding the IANA codepoint) of the SSL_SESSION
 * ASN.1 that `getSession()` returns. Both ways are checked by test/e2e/tls-listener.test.ts.
 */
import type { TLSSocket } from 'node:tls';

export const HYBRID_GROUP = 'X25519MLKEM768';
/** Preference order: the hybrid first, then classical groups for peers without ML-KEM. */
export const DEFAULT_GROUPS = `${HYBRID_GROUP}:X25519:P-256`;

/** The `ecdhCurve` option (OpenSSL's groups list) for a listener or an upstream connection. */
export function groupsOption(requirePostQuantum: boolean): string {
  return requirePostQuantum ? HYBRID_GROUP : DEFAULT_GROUPS;
}

/** IANA TLS Supported Groups registry names for the codepoints OpenSSL 3.5 can negotiate. */
const GROUP_NAMES: Record<number, string> = {
  0x0017: 'P-256',
  0x0018: 'P-384',
  0x0019: 'P-521',
  0x001d: 'X25519',
  0x001e: 'X448',
  0x0100: 'ffdhe2048',
  0x0101: 'ffdhe3072',
  0x0102: 'ffdhe4096',
  0x0200: 'MLKEM512',
  0x0201: 'MLKEM768',
  0x0202: 'MLKEM1024',
  0x11eb: 'SecP256r1MLKEM768',
  0x11ec: 'X25519MLKEM768',
  0x11ed: 'SecP384r1MLKEM1024',
};

/** True for groups that include ML-KEM (hybrid or pure). */
export function isPostQuantum(group: string | undefined): boolean {
  return group !== undefined && /MLKEM/i.test(group);
}

/** The negotiated key-exchange group of an established TLS socket, client or server side. */
export function negotiatedGroup(socket: TLSSocket): string | undefined {
  const info = socket.getEphemeralKeyInfo?.();
  if (info && typeof info === 'object' && 'name' in info && typeof info.name === 'string') return info.name;
  const session = socket.getSession?.();
  if (!session) return undefined;
  const code = kexGroupOfSession(session);
  return code === undefined ? undefined : (GROUP_NAMES[code] ?? `0x${code.toString(16).padStart(4, '0')}`);
}

/** Reads `kex_group` ([19] INTEGER) from a DER SSL_SESSION; undefined when it is not there. */
export function kexGroupOfSession(der: Buffer): number | undefined {
  const top = readTlv(der, 0);
  if (!top || der[0] !== 0x30) return undefined;
  let at = top.start;
  while (at < top.end) {
    const el = readTlv(der, at);
    if (!el || el.end > top.end) return undefined;
    // 0xb3 = context-specific, constructed, tag number 19.
    if (der[at] === 0xb3) {
      const int = readTlv(der, el.start);
      if (!int || der[el.start] !== 0x02 || int.end - int.start > 4) return undefined;
      let v = 0;
      for (let i = int.start; i < int.end; i++) v = v * 256 + der[i];
      return v;
    }
    at = el.end;
  }
  return undefined;
}

/** One DER tag-length-value at `at`: where its content starts and ends. */
function readTlv(buf: Buffer, at: number): { start: number; end: number } | undefined {
  if (at + 2 > buf.length) return undefined;
  let len = buf[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
    start += n;
  }
  const end = start + len;
  return end <= buf.length ? { start, end } : undefined;
}
