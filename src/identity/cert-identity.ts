/**
 * The identity in a verified client certificate (mTLS): the SPIFFE ID from the one
 * `URI:spiffe://` subjectAltName (SPIFFE X.509-SVID §2: exactly one URI SAN), else the subject CN.
 *
 * Only a certificate the TLS layer verified counts (`socket.authorized`: it chains to the
 * configured client CA); an unverified one proves nothing and yields no identity. The listener
 * itself (requiring and verifying client certificates) is the transport's job.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { MtlsIdentityConfig } from '../config/identity-schema.ts';
import type { Principal } from '../gateway/session.ts';

// RFC 3986 characters a SPIFFE ID may contain (no commas or quotes: the SAN string is comma-separated).
const SPIFFE_RE = /(?:^|,\s*)URI:(spiffe:\/\/[A-Za-z0-9._~%!$&'()*+;=:@/-]+)(?=,|$)/g;

export function spiffeIds(cert: Pick<PeerCertificate, 'subjectaltname'>): string[] {
  const san = cert.subjectaltname ?? '';
  return [...san.matchAll(SPIFFE_RE)].map((m) => m[1]);
}

function commonName(cert: Pick<PeerCertificate, 'subject'>): string | undefined {
  const cn = cert.subject?.CN as string | string[] | undefined;
  // Several CNs are ambiguous: which one is the caller? None.
  if (Array.isArray(cn)) return cn.length === 1 ? cn[0] : undefined;
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}

/** The subject a certificate names under `subjectFrom`, or undefined when it names none (or several SPIFFE IDs). */
export function subjectOfCertificate(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>, subjectFrom: MtlsIdentityConfig['subjectFrom']): string | undefined {
  const ids = spiffeIds(cert);
  if (ids.length > 1) return undefined;
  if (subjectFrom === 'spiffe') return ids[0];
  if (subjectFrom === 'cn') return commonName(cert);
  return ids[0] ?? commonName(cert);
}

/** The principal of a verified client certificate on this socket, or undefined. */
export function certificatePrincipal(socket: Socket, cfg: MtlsIdentityConfig): Principal | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const subject = subjectOfCertificate(cert, cfg.subjectFrom);
  if (!subject) return undefined;
  // notBefore is the certificate's issue time for revocation (incident/revocations.ts).
  const notBefore = socket.getPeerX509Certificate()?.validFromDate?.getTime() ?? NaN;
  return {
    subject,
    method: 'mtls',
    roles: [...(Object.hasOwn(cfg.roles, subject) ? cfg.roles[subject] : [])],
    credential: cert.fingerprint256,
    issuedAt: Number.isFinite(notBefore) ? notBefore / 1000 : undefined,
  };
}
