/**
 * Format-valid, obviously fake credentials for every family of secretlint's recommended preset,
 * built from a fixed alphabet walk (no real key was ever issued with these values). Used by the
 * DLP unit test and to write the `secret` corpus (test/fixtures/detect/secret/).
 */
const walk = (n: number, cs = 'aB3dE5gH7jK9mN1pQ4sT6vW8yZ0cF2hJ') => Array.from({ length: n }, (_, i) => cs[(i * 7 + 3) % cs.length]).join('');
const hex = (n: number) => walk(n, '0123456789abcdef');

export function fakeSecrets(): Record<string, string> {
  return {
    'slack-token': `xoxb-1234567890-1234567890123-${walk(24)}`,
    'slack-webhook': `https://hooks.slack.com/services/T${walk(8)}/B${walk(8)}/${walk(24)}`,
    'github-classic': `ghp_${walk(36)}`,
    'github-fine-grained': `github_pat_${walk(82)}`,
    npm: `npm_${walk(36)}`,
    'stripe-live': `sk_live_${walk(24)}`,
    'stripe-restricted': `rk_test_${walk(30)}`,
    gitlab: `glpat-${walk(20)}`,
    sendgrid: `SG.${walk(22)}.${walk(43)}`,
    openai: `sk-${walk(20)}T3BlbkFJ${walk(20)}`,
    anthropic: `sk-ant-api03-${walk(93)}AA`,
    huggingface: `hf_${walk(34, 'abcdefghijklmnopqrstuvwxyzABCDEFGH')}`,
    'basic-auth': 'https://admin:hunter2pass@internal.example.com/x',
    postgres: 'postgres://app:S3cretPw@db.example.com:5432/app',
    mongodb: 'mongodb+srv://app:S3cretPw@cluster0.example.net/db',
    mysql: 'mysql://root:S3cretPw@10.0.0.5/db',
    docker: `dckr_pat_${walk(27)}`,
    databricks: `dapi${hex(32)}`,
    shopify: `shpat_${hex(32)}`,
    vault: `hvs.${walk(95)}`,
    figma: `figd_${walk(40)}`,
    linear: `lin_api_${walk(40)}`,
    groq: `gsk_${walk(52)}`,
    notion: `ntn_12345678901${walk(35)}`,
    tailscale: `tskey-api-${walk(12)}-${walk(24)}`,
    'grafana-cloud': `glc_${walk(40)}`,
    'grafana-sa': `glsa_${walk(32)}_${hex(8)}`,
    vercel: `vcp_${walk(40)}`,
    cloudflare: `cfut_${walk(40)}${hex(8)}`,
    'aws-access-key': 'AKIAQYLPMN5HHHFPZAM2',
    'aws-secret-key': `aws_secret_access_key = "${walk(40)}"`,
    'private-key': `-----BEGIN RSA PRIVATE KEY-----\nMIIE${walk(60)}\n${walk(64)}\n-----END RSA PRIVATE KEY-----`,
  };
}

const lower = (n: number) => walk(n, 'abcdefghijklmnopqrstuvwxyz0123456789');

/**
 * Fake values for the families secretlint's preset leaves out (src/detect/token-rules.ts), one per
 * rule family, each in the context that names it where the format needs one.
 */
export function fakeExtraSecrets(): Record<string, string> {
  return {
    'google-api-key': `AIza${walk(35)}`,
    'google-oauth-secret': `GOCSPX-${walk(28)}`,
    'google-oauth-token': `ya29.${walk(60)}`,
    'azure-storage-connection-string': `DefaultEndpointsProtocol=https;AccountName=acmestore;AccountKey=${walk(86)}==;EndpointSuffix=core.windows.net`,
    'azure-service-bus': `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${walk(43)}=`,
    'azure-client-secret': `client_secret: aB37Q~${walk(34)}`,
    'aws-bedrock-key': `ABSK${walk(132)}`,
    digitalocean: `dop_v1_${hex(64)}`,
    'redis-url': 'redis://:S3cretPw9@cache.internal:6379/0',
    'amqp-url': 'amqps://app:S3cret!Pw@mq.example.com/vhost',
    'postgres-url-special-password': 'postgresql://app:p%40ss!W0rd#1@db.example.com/app',
    'mssql-connection-string': 'Server=tcp:db.example.com,1433;Database=app;User ID=app;Password=S3cret!Pw2;Encrypt=true',
    jdbc: 'jdbc:sqlserver://db.example.com:1433;databaseName=app;user=app;password=S3cret!Pw2',
    'slack-config-token': `xoxe.xoxp-1-${walk(150)}`,
    'slack-workflow-webhook': `https://hooks.slack.com/workflows/T${walk(10)}/A${walk(10)}/${walk(24)}`,
    'stripe-prod': `sk_prod_${walk(24)}`,
    'stripe-webhook-secret': `whsec_${walk(32)}`,
    'discord-webhook': `https://discord.com/api/webhooks/123456789012345678/${walk(68)}`,
    'telegram-bot-token': `123456789:AA${walk(33)}`,
    'anthropic-admin': `sk-ant-admin01-${walk(93)}AA`,
    pypi: `pypi-AgEIcHlwaS5vcmc${walk(60)}`,
    age: `AGE-SECRET-KEY-1${walk(58, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L')}`,
    'gitlab-runner': `glrt-${walk(20)}`,
    sentry: `sntryu_${hex(64)}`,
    doppler: `dp.pt.${walk(43)}`,
    atlassian: `ATATT3${walk(186)}`,
    terraform: `${lower(14)}.atlasv1.${lower(64)}`,
    postman: `PMAK-${hex(24)}-${hex(34)}`,
    pulumi: `pul-${hex(40)}`,
    rubygems: `rubygems_${hex(48)}`,
    heroku: `HRKU-AA${walk(58)}`,
    brevo: `xkeysib-${hex(64)}-${walk(16)}`,
    square: `sq0atp-${walk(22)}`,
    'generic-secret': `JWT_SECRET=${walk(32)}`,
    'generic-api-key-json': `{"apiKey": "${walk(20)}${hex(12)}"}`,
    password: 'DB_PASSWORD=Tr0ub4dor&3x',
    'gcp-service-account': JSON.stringify({
      type: 'service_account',
      project_id: 'acme-prod',
      private_key_id: hex(40),
      private_key: `-----BEGIN PRIVATE KEY-----\nMIIE${walk(60)}\n-----END PRIVATE KEY-----\n`,
      client_email: 'deployer@acme-prod.iam.gserviceaccount.com',
    }),
  };
}

/**
 * PEM private keys the preset's rule (a body of 100+ characters between BEGIN and END lines of a
 * fixed list of types) does not see: short bodies, every armour type, encryption headers, one
 * line, JSON-escaped, the END or BEGIN line missing.
 */
export function fakePemKeys(): Record<string, string> {
  const line = walk(64, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const short = `MIIBOgIBAAJBAK${walk(50)}`;
  const pem = (type: string, body: string, head = '') => `-----BEGIN ${type}-----\n${head}${body}\n-----END ${type}-----`;
  return {
    'rsa-short': pem('RSA PRIVATE KEY', short),
    'ec-short': pem('EC PRIVATE KEY', `MHcCAQEEI${walk(40)}`),
    'dsa-short': pem('DSA PRIVATE KEY', `MIIBuwIBAAKBgQ${walk(40)}`),
    'openssh-short': pem('OPENSSH PRIVATE KEY', `b3BlbnNzaC1rZXktdjEAAAAA${walk(30)}`),
    'pkcs8-short': pem('PRIVATE KEY', `MC4CAQAwBQYDK2VwBCIEI${walk(24)}`),
    'encrypted-pkcs8': pem('ENCRYPTED PRIVATE KEY', `MIIFHzBJBgkqhkiG9w0BBQ0wPDAbBgkqhkiG9w0BBQwwDgQI${walk(16)}\n${line}`),
    'encrypted-legacy': pem('RSA PRIVATE KEY', `${line}\n${line}`, `Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,${hex(32).toUpperCase()}\n\n`),
    pgp: `-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBF${walk(58)}\n${line}\n=${walk(4)}\n-----END PGP PRIVATE KEY BLOCK-----`,
    'one-line': pem('RSA PRIVATE KEY', short).replace(/\n/g, ' '),
    'json-escaped': JSON.stringify({ key: `${pem('EC PRIVATE KEY', `MHcCAQEEI${walk(40)}`)}\n` }),
    'no-end-line': `-----BEGIN RSA PRIVATE KEY-----\n${line}\n${line}\n`,
    'no-begin-line': `${line}\n${line}\n-----END OPENSSH PRIVATE KEY-----`,
    'ssh2-encrypted': `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: "rsa-key-20240101"\n${line}\n${line}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----`,
  };
}
