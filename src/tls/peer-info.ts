/**
 * What the audit records about a TLS connection: protocol, cipher, the negotiated key-exchange
 * group (is it post-quantum?) and the peer certificate's fingerprint. Mapping a client
 * certificate to a principal is the identity layer's job; this only describes the channel.
 */
import type { TLSSocket } from 'node:tls';
import { isPostQuantum, negotiatedGroup } from './groups.ts';

export interface TlsInfo {
  protocol: string | null;
  cipher: string;
  group?: string;
  postQuantum: boolean;
  /** The peer presented a certificate that verified against the configured CA. */
  peerVerified: boolean;
  /** SHA-256 of the peer's leaf certificate, colon hex (Node's format), when one was sent. */
  peerFingerprint?: string;
}

export function tlsInfo(socket: TLSSocket): TlsInfo {
  const group = negotiatedGroup(socket);
  const peer = socket.getPeerCertificate?.(false);
  const hasPeer = peer && typeof peer === 'object' && 'fingerprint256' in peer && Boolean(peer.fingerprint256);
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? '',
    ...(group !== undefined && { group }),
    postQuantum: isPostQuantum(group),
    peerVerified: socket.authorized === true,
    ...(hasPeer && { peerFingerprint: peer.fingerprint256 }),
  };
}
