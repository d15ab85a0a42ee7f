/**
 * `mcp.listen.tls`, `mcp.listen.cors`, `mcp.listen.allowedOrigins|allowedHosts`,
 * `mcp.listen.limits` and `mcp.listen.resumability` (resumability-schema.ts): the client-facing
 * listener's transport security (src/transports/).
 * Part of the configuration schema, the single source of truth.
 */
import { z } from 'zod';
import { resumabilitySchema } from './resumability-schema.ts';

export const listenTlsSchema = z
  .strictObject({
    certPath: z.string().min(1).describe('PEM certificate chain of the listener (leaf first). Reloaded when the file changes or on SIGHUP.'),
    keyPath: z.string().min(1).describe('PEM private key of the listener.'),
    caPath: z.string().min(1).optional().describe('PEM CA bundle that client certificates must chain to (needed when `clientCertificate` is not `none`).'),
    clientCertificate: z
      .enum(['none', 'optional', 'required'])
      .default('none')
      .describe('`required`: the handshake fails without a client certificate that chains to `caPath` (mTLS). `optional`: asked for, verified if sent.'),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.3'),
    requirePostQuantum: z
      .boolean()
      .default(false)
      .describe('Offer only the hybrid group X25519MLKEM768: a classical-only client fails the handshake. Otherwise it is offered first, then X25519 and P-256.'),
  })
  .refine((t) => t.clientCertificate === 'none' || t.caPath !== undefined, {
    message: '`clientCertificate` other than `none` needs `caPath` (the CA client certificates must chain to)',
    path: ['caPath'],
  });

const origin = z
  .string()
  .regex(/^https?:\/\/[^/?#\s]+$/i, 'an origin: scheme://host[:port], no path')
  .describe('An origin as browsers send it: `scheme://host[:port]`.');

export const corsSchema = z.strictObject({
  allowedOrigins: z.array(origin).min(1).describe('Origins a browser page may call the gateway from (CORS). Also accepted by the Origin check.'),
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(600).describe('How long a browser may cache a preflight answer.'),
});

export const listenLimitsSchema = z.strictObject({
  maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384).describe('Largest request head (request line + headers); larger gets 431.'),
  headersTimeoutSeconds: z.number().positive().default(10).describe('Time a client has to send the complete request head (slowloris).'),
  requestTimeoutSeconds: z
    .number()
    .min(0)
    .default(30)
    .describe('Time a client has to send the complete request (head and body); 0 disables. Response streams (SSE) are not affected.'),
  keepAliveTimeoutSeconds: z.number().positive().default(5).describe('An idle keep-alive connection is closed after this.'),
});

/** Fields added to `mcp.listen` (spread into its strict object in schema.ts). */
export const listenSecurityFields = {
  tls: listenTlsSchema.optional().describe('Serve HTTPS (and optionally require client certificates). Without it, plain HTTP.'),
  allowedOrigins: z
    .array(origin)
    .optional()
    .describe('Origins accepted in an `Origin` header (DNS rebinding, CVE-2025-49596). Default: the listener\'s own loopback origins. An absent Origin (non-browser client) is accepted.'),
  allowedHosts: z
    .array(z.string().min(1))
    .optional()
    .describe('`Host` header values accepted (`name` or `name:port`). Default: localhost, 127.0.0.1, [::1] and the bound host, with the listening port.'),
  cors: corsSchema.optional().describe('CORS for browser clients; off unless configured.'),
  limits: listenLimitsSchema.default(listenLimitsSchema.parse({})),
  resumability: resumabilitySchema.default(resumabilitySchema.parse({})).describe('SSE resumability (Last-Event-ID) toward 2025-11-25 clients, with bounded per-session replay.'),
};

export type ListenTls = z.infer<typeof listenTlsSchema>;
export type ListenLimits = z.infer<typeof listenLimitsSchema>;
