/**
 * Can the configured TLS material be used on this host? Certificate and key files are read at
 * start, not at load: a configuration is valid wherever it is checked (CI, another host), but
 * `run` refuses to start when a file it needs is missing, naming the key and the fix, and
 * `portcullis check` says so in advance.
 *
 * `mcp.security.mtls.enabled` (the seed's block) is the gateway's client side toward upstreams:
 * every HTTPS upstream gets the client certificate, and an upstream over plain http is refused
 * (mutual TLS cannot be had over it). It does not require `mcp.listen.tls`: the listener's TLS
 * and client-certificate policy are configured there.
 */
import type { LoadedConfig } from '../config/load.ts';
import { checkMetadataUrlSyntax } from '../upstream/metadata-url.ts';
import { upstreamCredentials } from '../upstream/upstream-credentials.ts';
import { upstreamTlsSettings } from '../upstream/upstream-tls.ts';
import { readPem, secureContextOptions } from './listener-context.ts';

export interface TransportProblem {
  path: string;
  message: string;
  fix: string;
}

/** Errors from the readers start with the key they concern: use it as the problem's path. */
function problem(path: string, err: unknown, fix: string): TransportProblem {
  const m = /^(mcp\.[\w.-]+): ([\s\S]*)$/.exec((err as Error).message);
  return m ? { path: m[1], message: m[2], fix } : { path, message: (err as Error).message, fix };
}

export function transportSecurityProblems(loaded: LoadedConfig): TransportProblem[] {
  const out: TransportProblem[] = [];
  const { listen, security } = loaded.config.mcp;
  const fileFix = 'create the file (PEM) at that path, or correct the path';
  if (listen.tls) {
    try {
      secureContextOptions(listen.tls);
    } catch (err) {
      out.push(problem('mcp.listen.tls', err, fileFix));
    }
  }
  const m = security.mtls;
  if (m.enabled) {
    for (const key of ['clientCertPath', 'clientKeyPath', 'caCertPath'] as const) {
      const path = m[key];
      if (path === undefined) {
        if (key !== 'caCertPath') out.push({ path: `mcp.security.mtls.${key}`, message: 'mtls.enabled needs a client certificate and key', fix: `set mcp.security.mtls.${key}, or set mtls.enabled: false` });
        continue;
      }
      try {
        readPem(path, `mcp.security.mtls.${key}`);
      } catch (err) {
        out.push(problem(`mcp.security.mtls.${key}`, err, `${fileFix}, or set mcp.security.mtls.enabled: false`));
      }
    }
  }
  loaded.servers.forEach((s, i) => {
    if (!s.url) return;
    const base = `mcp.servers.${i}`;
    const https = s.url.startsWith('https:');
    if (!https && s.effective.mtls.enabled) {
      out.push({ path: `${base}.url`, message: `mtls is enabled for '${s.name}' but its URL is plain http`, fix: 'use an https:// URL, or disable mtls for this server (security.mtls.enabled: false)' });
    }
    if (!https && (s.tls?.expectedFingerprint || s.tls?.clientCertPath)) {
      out.push({ path: `${base}.tls`, message: `'${s.name}' has TLS settings but a plain http URL`, fix: 'use an https:// URL' });
    }
    if (https) {
      try {
        upstreamTlsSettings(s);
      } catch (err) {
        out.push(problem(`${base}.tls`, err, fileFix));
      }
    }
    try {
      upstreamCredentials(s);
    } catch (err) {
      out.push(problem(`${base}.headersFromFiles`, err, 'create the file holding the header value, or correct the path'));
    }
    if (s.oauth) {
      const v = checkMetadataUrlSyntax(s.oauth.tokenUrl);
      if (!v.ok) out.push({ path: `${base}.oauth.tokenUrl`, message: `refused: ${v.reason}`, fix: 'use an https:// token endpoint (http only on loopback), without credentials or fragment' });
    }
  });
  return out;
}
