/**
 * The configuration of monitoring and incident response, imported by schema.ts (the single
 * source of truth): the event store and webhook audit destinations, checkpoint signing, alert
 * rules and notifiers, the admin listener, and the state directory (lockdown, revocations,
 * disabled servers, the alert delivery queue).
 *
 * The alert thresholds are the seed's `MCPSecurityMonitor.thresholds`, as defaults.
 */
import { z } from 'zod';

/** A strict object whose own defaults fill in when the key is absent. */
const defaulted = <T extends z.ZodType>(schema: T) => schema.default(schema.parse({}) as never);

export const sqliteDestination = z.strictObject({
  type: z.literal('sqlite'),
  path: z.string().min(1).describe('The SQLite event store file (created, with its directory, mode 0600).'),
});

export const postgresDestination = z.strictObject({
  type: z.literal('postgres'),
  url: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// connection URL')
    .describe('Connection URL of the PostgreSQL event store (use ${VAR} for the password).'),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lowercase SQL identifier')
    .default('public')
    .describe('Schema holding the tables (created if missing).'),
  poolSize: z.number().int().min(1).max(64).default(4),
});

export const webhookDestination = z.strictObject({
  type: z.literal('webhook'),
  url: z.url(),
  headers: z.record(z.string(), z.string()).optional().describe('Sent with every delivery (e.g. `Authorization: Bearer ${TOKEN}`).'),
  secret: z
    .string()
    .min(16)
    .optional()
    .describe('When set, every delivery carries `X-Portcullis-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>")`.'),
  batchSize: z.number().int().min(1).max(1000).default(100).describe('Audit records per POST.'),
});

export const signingSchema = defaulted(
  z.strictObject({
    privateKey: z
      .string()
      .optional()
      .describe('`audit-signing.key` from `portcullis keys generate` (mode 0600). Without it checkpoints are unsigned and a warning says so.'),
    publicKey: z.string().optional().describe('`audit-signing.pub`, used by `portcullis audit verify --config`.'),
    checkpointEveryRecords: z.number().int().min(0).default(1000).describe('A signed checkpoint after this many records (0: by time only).'),
    checkpointEverySeconds: z.number().min(0).default(60).describe('A signed checkpoint this often while records arrive (0: by count only).'),
  }),
);

const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

const countRule = (d: { event: string; count: number; windowSeconds: number; severity: (typeof ALERT_SEVERITIES)[number] }, what: string) =>
  defaulted(
    z
      .strictObject({
        enabled: z.boolean().default(true),
        event: z.string().min(1).default(d.event).describe('The audit event this rule counts.'),
        count: z.number().int().positive().default(d.count).describe('Alert when this many happen within the window.'),
        windowSeconds: z.number().positive().default(d.windowSeconds),
        severity: z.enum(ALERT_SEVERITIES).default(d.severity),
      })
      .describe(what),
  );

export const alertRulesSchema = defaulted(
  z.strictObject({
    deniedToolCalls: countRule({ event: 'tool_denied', count: 10, windowSeconds: 300, severity: 'medium' }, 'Denied tool calls (seed: 10 in 5 minutes). Lockdown denials do not count.'),
    rateLimitViolations: countRule({ event: 'rate_limit_exceeded', count: 5, windowSeconds: 300, severity: 'high' }, 'Rate-limit violations (seed: 5 in 5 minutes).'),
    injectionAttempts: countRule({ event: 'injection_attempt', count: 1, windowSeconds: 60, severity: 'critical' }, 'Prompt-injection attempts: at once.'),
    pinDrift: countRule({ event: 'pin_drift', count: 1, windowSeconds: 60, severity: 'high' }, 'A pinned tool or server definition changed.'),
    sandboxCrashLoop: countRule({ event: 'sandbox_crash_loop', count: 1, windowSeconds: 60, severity: 'high' }, 'A sandboxed server keeps crashing.'),
    certificatePinMismatch: countRule({ event: 'certificate_pin_mismatch', count: 1, windowSeconds: 60, severity: 'critical' }, 'An upstream presented a certificate other than its pin.'),
    authenticationFailures: countRule({ event: 'authentication_failed', count: 20, windowSeconds: 300, severity: 'high' }, 'Refused credentials (bad tokens, unknown API keys, missing credentials under requireAuth): credential stuffing or a misconfigured client.'),
    toolPoisoning: countRule({ event: 'tool_poisoning_detected', count: 1, windowSeconds: 60, severity: 'high' }, 'A tool, prompt or resource-template description blocked by the poisoning scan (flag-only findings do not alert).'),
    sessionPrincipalMismatch: countRule({ event: 'session_principal_mismatch', count: 1, windowSeconds: 60, severity: 'high' }, "A session id presented with another caller's credential: a stolen or leaked session id."),
    connectionSpikes: defaulted(
      z
        .strictObject({
          enabled: z.boolean().default(true),
          event: z.string().min(1).default('connection_established'),
          percent: z.number().positive().default(200).describe('Alert when the last window has at least this percentage of the window before it.'),
          windowSeconds: z.number().positive().default(600),
          minCount: z.number().int().positive().default(10).describe('And at least this many connections (no alert for 2 after 1).'),
          severity: z.enum(ALERT_SEVERITIES).default('medium'),
        })
        .describe('Connection spikes (seed: 200% of the previous 10 minutes).'),
    ),
  }),
);

const notifierCommon = {
  url: z.url(),
  minSeverity: z.enum(ALERT_SEVERITIES).default('low').describe('Only alerts at least this severe go to this notifier.'),
};

export const notifierSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('webhook'),
    ...notifierCommon,
    headers: z.record(z.string(), z.string()).optional(),
    secret: z.string().min(16).optional().describe('HMAC-SHA256 key: `X-Portcullis-Signature: sha256=<hex of HMAC(secret, "<X-Portcullis-Timestamp>.<body>")>`.'),
  }),
  z.strictObject({ type: z.literal('slack'), ...notifierCommon }).describe('A Slack incoming webhook (Block Kit message).'),
  z.strictObject({ type: z.literal('discord'), ...notifierCommon }).describe('A Discord webhook (embed message).'),
]);

export const alertingSchema = defaulted(
  z.strictObject({
    enabled: z.boolean().default(true),
    rules: alertRulesSchema,
    cooldownSeconds: z.number().min(0).default(300).describe('After an alert, the same alert (rule and subject) is held back this long; held-back repeats are counted in the next one.'),
    notifiers: z.array(notifierSchema).default([]),
    delivery: defaulted(
      z.strictObject({
        timeoutSeconds: z.number().positive().default(10),
        initialBackoffSeconds: z.number().positive().default(1),
        maxBackoffSeconds: z.number().positive().default(300),
        maxAgeHours: z.number().positive().default(72).describe('An undeliverable message is given up (and logged) after this long.'),
      }),
    ),
  }),
);

export const adminSchema = defaulted(
  z
    .strictObject({
      enabled: z.boolean().default(false).describe('Serve /metrics, /healthz, /readyz and the admin API (lockdown, revoke, server disable) on a separate listener (`run` only).'),
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(9471),
      tokenHash: z
        .string()
        .regex(/^sha256:[0-9a-f]{64}$/, 'sha256:<64 hex digits> (portcullis keys admin-token)')
        .optional()
        .describe('SHA-256 of the admin bearer token (`portcullis keys admin-token` prints both). Required when enabled.'),
    })
    .refine((a) => !a.enabled || a.tokenHash, { message: 'the admin listener needs tokenHash (portcullis keys admin-token)', path: ['tokenHash'] }),
);

export const stateSchema = defaulted(
  z.strictObject({
    dir: z
      .string()
      .min(1)
      .default('./portcullis-state')
      .describe('Lockdown, revocations and disabled servers (incident.json), the alert delivery queue, and the default SQLite event store (events.db).'),
    url: z
      .string()
      .superRefine((u, ctx) => {
        let parsed: URL;
        try {
          parsed = new URL(u);
        } catch {
          ctx.addIssue({ code: 'custom', message: 'not a URL', params: { fix: 'write redis://HOST:PORT/DB or rediss://HOST:PORT/DB' } });
          return;
        }
        if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') ctx.addIssue({ code: 'custom', message: `scheme ${parsed.protocol} is not redis: or rediss:`, params: { fix: 'write redis://HOST:PORT/DB, or rediss://HOST:PORT/DB for TLS' } });
        // A password in the URL ends up in config files, process listings and logs.
        if (parsed.password) ctx.addIssue({ code: 'custom', message: 'mcp.state.url contains a password; it is refused so it cannot leak from the config file or logs', params: { fix: 'remove the password from the URL and set mcp.state.passwordEnv to the name of an environment variable that holds it' } });
        if (parsed.pathname.length > 1 && !/^\/\d{1,2}$/.test(parsed.pathname)) ctx.addIssue({ code: 'custom', message: `database ${parsed.pathname.slice(1)} is not a number`, params: { fix: 'end the URL with /DB, a database number such as /0' } });
        if (parsed.search || parsed.hash) ctx.addIssue({ code: 'custom', message: 'query strings and fragments are not read here', params: { fix: 'remove them; TLS comes from rediss:// and mcp.state.tlsCaFile' } });
      })
      .optional()
      .describe('Shared runtime state for several replicas: `redis://HOST:PORT/DB`, or `rediss://` for TLS. A username may be given, a password may not (use `passwordEnv`). Unset: everything stays in this process and `dir` (one replica).'),
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional()
      .describe('Name of the environment variable that holds the Redis password (read at start-up; never logged).'),
    keyPrefix: z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'printable ASCII, no spaces').default('portcullis:').describe('Prefix of every Redis key and pub/sub channel, so several deployments can share one Redis.'),
    tlsCaFile: z.string().min(1).optional().describe('PEM file of the CA that signed the Redis server certificate (`rediss://` only); default: the system CAs.'),
    commandTimeoutMs: z.number().int().min(10).max(60_000).default(1000).describe('A Redis command that takes longer fails (the call is refused: security state fails closed).'),
  })
  .refine((s) => s.tlsCaFile === undefined || (s.url?.startsWith('rediss:') ?? false), { message: 'tlsCaFile is for a rediss:// url', path: ['tlsCaFile'], params: { fix: 'use rediss:// in mcp.state.url, or remove tlsCaFile' } })
  .refine((s) => s.passwordEnv === undefined || s.url !== undefined, { message: 'passwordEnv without url', path: ['passwordEnv'], params: { fix: 'set mcp.state.url, or remove passwordEnv' } }),
);

export const loggingSchema = defaulted(
  z.strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('Operational log (JSON lines on stderr).'),
  }),
);
