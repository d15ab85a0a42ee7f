/**
 * The two Portcullis configurations the issue names, as YAML.
 *
 * G: everything that has landed switched on — tool policy default deny with the bench tools
 * allowed, rate limiting enabled with limits no run can reach, strict schema validation, and a
 * detailed audit log in a file; content inspection on with its defaults. G-min: every check off
 * (schema validation off, rate limiting disabled, default allow, audit and inspection disabled):
 * what the gateway costs before any policy. G-noaudit: G with the audit log off, so that one run
 * measures what auditing costs (issue 20: throughput audit on ÷ off). G-noinspect: G with content
 * inspection off, so that one run splits what the policy, schema and audit checks cost (against
 * G-min) from what inspection costs per KB (against G): docs/performance.md.
 */
export type GatewayProfile = 'full' | 'min' | 'noaudit' | 'noinspect';

export interface Upstream {
  url?: string;
  command?: string;
  args?: string[];
}

const q = (s: string) => JSON.stringify(s);

export function gatewayYaml(profile: GatewayProfile, upstream: Upstream, opts: { auditPath: string; sessionIdleSeconds?: number }): string {
  const server = upstream.url
    ? `    - name: mock\n      url: ${q(upstream.url)}\n`
    : `    - name: mock\n      command: ${q(upstream.command!)}\n      args: [${(upstream.args ?? []).map(q).join(', ')}]\n`;
  const audit =
    profile === 'full' || profile === 'noinspect'
      ? `    audit:
      enabled: true
      level: detailed
      destinations:
        - type: file
          path: ${q(opts.auditPath)}
          rotation: daily
`
      : `    audit:
      enabled: false
`;
  const inspection = profile === 'noinspect' ? `    inspection:
      enabled: false
` : '';
  const security =
    profile !== 'min'
      ? `  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [blob, sleep]
    rateLimiting:
      enabled: true
      requestsPerMinute: 1000000000
      burstSize: 1000000000
      cooldownSeconds: 60
    validation:
      schemaValidation: strict
${audit}${inspection}`
      : `  security:
    toolAccess:
      defaultPolicy: allow
    rateLimiting:
      enabled: false
    validation:
      schemaValidation: "off"
    audit:
      enabled: false
    inspection:
      enabled: false
`;
  return `mcp:
  listen: { host: 127.0.0.1, port: 0, path: /mcp }
  timeouts: { requestSeconds: 120, sessionIdleSeconds: ${opts.sessionIdleSeconds ?? 1800}, shutdownSeconds: 5 }
  servers:
${server}${security}`;
}
