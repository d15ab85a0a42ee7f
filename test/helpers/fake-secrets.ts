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
