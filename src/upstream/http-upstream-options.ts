/**
 * Everything the HTTP transport of one upstream needs beyond its URL: the TLS connector (CA,
 * client certificate, groups, pin) and the gateway's own credentials, with the audit hooks:
 * `connection_established` for each new TLS connection (negotiated group included) and
 * `certificate_pin_mismatch` (an alert rule fires on it) for a refused one.
 */
import type { AuditLog } from '../audit/audit-log.ts';
import type { ResolvedServer } from '../config/load.ts';
import type { HttpOptions } from './http-transport.ts';
import { upstreamCredentials } from './upstream-credentials.ts';
import { upstreamConnector, upstreamTlsSettings } from './upstream-tls.ts';

export function httpUpstreamOptions(s: ResolvedServer, ctx: { audit: AuditLog; log: (line: string) => void; connectTimeoutMs: number }): HttpOptions {
  const url = new URL(s.url!);
  const connect =
    url.protocol === 'https:'
      ? upstreamConnector(upstreamTlsSettings(s), ctx.connectTimeoutMs, {
          onSecure: (tls) => ctx.audit.emit({ event: 'connection_established', server: s.name, connection: `https:${url.host}`, detail: { direction: 'upstream', tls } }),
          onPinMismatch: (presented, expected) => {
            ctx.log(`server '${s.name}': certificate ${presented} does not match its pin; connection refused`);
            ctx.audit.emit({
              event: 'certificate_pin_mismatch',
              server: s.name,
              connection: `https:${url.host}`,
              decision: 'deny',
              reason: 'the upstream certificate does not match tls.expectedFingerprint',
              detail: { presented, expected },
            });
          },
        })
      : undefined;
  return {
    url: s.url!,
    headers: s.headers,
    maxMessageBytes: s.effective.validation.maxContextSize,
    connectTimeoutMs: ctx.connectTimeoutMs,
    ...(connect && { connect }),
    credentials: upstreamCredentials(s),
  };
}
