/**
 * Per-server `tls`, `headersFromFiles` and `oauth`: how the gateway connects to and authenticates
 * at a Streamable HTTP upstream (src/upstream/). `mcp.security.mtls` (global, or per server
 * through `security.mtls` / skills) supplies the defaults for `tls`, as the seed's
 * `connectToMCPServer` does. Part of the configuration schema, the single source of truth.
 */
import { z } from 'zod';

/** SHA-256 of the leaf certificate's DER, hex, with or without colons. */
const fingerprint = z
  .string()
  .regex(/^(?:[0-9a-f]{2}:){31}[0-9a-f]{2}$|^[0-9a-f]{64}$/i, 'a SHA-256 fingerprint: 64 hex digits, with or without colons');

export const upstreamTlsSchema = z.strictObject({
  caPath: z.string().min(1).optional().describe('PEM CA bundle the server certificate must chain to (default: `mtls.caCertPath`, else the system roots).'),
  serverName: z.string().min(1).optional().describe('SNI and the name the certificate must carry (default: `mtls.serverName`, else the URL host).'),
  verifyServer: z.boolean().optional().describe('Verify the server certificate (default: `mtls.verifyServer`, true). Pinning still applies when false.'),
  clientCertPath: z.string().min(1).optional().describe('PEM client certificate presented to the server (default: `mtls.clientCertPath` when mtls is enabled).'),
  clientKeyPath: z.string().min(1).optional(),
  expectedFingerprint: z
    .union([fingerprint, z.array(fingerprint).min(1)])
    .optional()
    .describe('Pin: the SHA-256 of the leaf certificate (a list during rotation). Checked on every new connection; a mismatch refuses it.'),
  requirePostQuantum: z.boolean().default(false).describe('Offer only X25519MLKEM768: a classical-only server fails the handshake.'),
});

export const upstreamOauthSchema = z
  .strictObject({
    tokenUrl: z.url().describe('OAuth 2.1 token endpoint (client credentials grant). https only (http on loopback).'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional().describe('Use `${ENV}`; or `clientSecretFile`.'),
    clientSecretFile: z.string().min(1).optional().describe('A file holding the client secret (e.g. /run/secrets/x).'),
    scope: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
    resource: z.url().optional().describe('RFC 8707 resource indicator (default: the server URL).'),
    allowPrivateAddresses: z.boolean().default(false).describe('Allow a token endpoint on a private, loopback or link-local address.'),
    caPath: z.string().min(1).optional().describe('PEM CA bundle the token endpoint\'s certificate must chain to (an internal CA); default: the system roots.'),
  })
  .refine((o) => (o.clientSecret === undefined) !== (o.clientSecretFile === undefined), {
    message: 'exactly one of `clientSecret` or `clientSecretFile`',
  });

/** Fields added to each `mcp.servers[]` entry (spread into its strict object in schema.ts). */
export const upstreamSecurityFields = {
  tls: upstreamTlsSchema.optional().describe('Streamable HTTP over https: verification, client certificate, pinning.'),
  headersFromFiles: z
    .record(z.string(), z.string().min(1))
    .optional()
    .describe('Streamable HTTP: headers whose values are read from files at start (e.g. `Authorization: /run/secrets/upstream-auth`).'),
  oauth: upstreamOauthSchema.optional().describe('Streamable HTTP: the gateway obtains its own token (client credentials) and sends it as Bearer.'),
};

export type UpstreamTls = z.infer<typeof upstreamTlsSchema>;
export type UpstreamOauth = z.infer<typeof upstreamOauthSchema>;
