/**
 * TLS toward a Streamable HTTP upstream: which CA, which name, which client certificate, which
 * key-exchange groups, and the certificate pin.
 *
 * Effective settings: the server's `tls` block, over `mcp.security.mtls` (global, then the
 * server's `security.mtls` or skill override) when that is enabled, as the seed's
 * `connectToMCPServer` does: `mtls.enabled` means "present `clientCertPath`/`clientKeyPath` to
 * every HTTPS upstream, verify it against `caCertPath` (when `verifyServer`) under `serverName`".
 *
 * The pin is checked in the connector, on every new connection, after the handshake: not in
 * `checkServerIdentity`, which Node skips for resumed TLS sessions and when verification is off,
 * so a pin there would be checked once and then silently not at all. Session resumption is off
 * for pinned upstreams (a resumed session presents no certificate), and a connection without a
 * certificate to check is a mismatch (fail closed).
 */
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
import type { ResolvedServer } from '../config/load.ts';
import { readPem } from '../tls/listener-context.ts';
import { groupsOption } from '../tls/groups.ts';
import { tlsInfo, type TlsInfo } from '../tls/peer-info.ts';

export interface UpstreamTlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  verify: boolean;
  pins: string[];
  requirePostQuantum: boolean;
}

export interface UpstreamTlsHooks {
  onSecure(info: TlsInfo): void;
  onPinMismatch(presented: string, expected: string[]): void;
}

const normalPin = (fp: string) => fp.replace(/:/g, '').toUpperCase();

/** The effective TLS settings of a server; throws naming the key when a file cannot be read. */
export function upstreamTlsSettings(s: ResolvedServer): UpstreamTlsSettings {
  const m = s.effective.mtls;
  const t = s.tls ?? { requirePostQuantum: false };
  const base = `mcp.servers.${s.name}`;
  const mt = m.enabled ? m : undefined;
  const caPath = t.caPath ?? mt?.caCertPath;
  const certPath = t.clientCertPath ?? mt?.clientCertPath;
  const keyPath = t.clientKeyPath ?? mt?.clientKeyPath;
  const pins = t.expectedFingerprint === undefined ? [] : Array.isArray(t.expectedFingerprint) ? t.expectedFingerprint : [t.expectedFingerprint];
  return {
    ...(caPath && { ca: readPem(caPath, t.caPath ? `${base}.tls.caPath` : 'mcp.security.mtls.caCertPath') }),
    ...(certPath && { cert: readPem(certPath, t.clientCertPath ? `${base}.tls.clientCertPath` : 'mcp.security.mtls.clientCertPath') }),
    ...(keyPath && { key: readPem(keyPath, t.clientKeyPath ? `${base}.tls.clientKeyPath` : 'mcp.security.mtls.clientKeyPath') }),
    servername: t.serverName ?? mt?.serverName,
    verify: t.verifyServer ?? mt?.verifyServer ?? true,
    pins: pins.map(normalPin),
    requirePostQuantum: t.requirePostQuantum,
  };
}

/** An undici connector that applies the settings, checks the pin and reports the channel. */
export function upstreamConnector(settings: UpstreamTlsSettings, timeoutMs: number, hooks: UpstreamTlsHooks): buildConnector.connector {
  const base = buildConnector({
    ca: settings.ca,
    cert: settings.cert,
    key: settings.key,
    servername: settings.servername,
    rejectUnauthorized: settings.verify,
    ecdhCurve: groupsOption(settings.requirePostQuantum),
    minVersion: settings.requirePostQuantum ? 'TLSv1.3' : 'TLSv1.2',
    timeout: timeoutMs,
    // A resumed TLS 1.3 session shows no peer certificate (Node returns {} after an unverified
    // resumption): with a pin, every connection does a full handshake so there is one to check.
    ...(settings.pins.length && { maxCachedSessions: 0 }),
  } as buildConnector.BuildOptions);
  return (opts, callback) =>
    base(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      if (opts.protocol !== 'https:') return callback(null, socket);
      const tls = socket as TLSSocket;
      if (settings.pins.length) {
        const presented = tls.getPeerCertificate(false)?.fingerprint256 ?? '';
        const got = Buffer.from(normalPin(presented));
        const ok = settings.pins.some((p) => p.length === got.length && timingSafeEqual(Buffer.from(p), got));
        if (!ok) {
          socket.destroy();
          hooks.onPinMismatch(presented, settings.pins);
          return callback(new Error('upstream certificate does not match its pin'), null);
        }
      }
      hooks.onSecure(tlsInfo(tls));
      callback(null, socket);
    });
}
