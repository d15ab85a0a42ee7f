/**
 * Secret families secretlint's recommended preset leaves out, as RE2 patterns that run in the DLP
 * set pass itself (dlp.ts): no secretlint call, linear time on hostile text.
 *
 * Chosen by going through gitleaks' default rules (config/gitleaks.toml, 222 rules) and the preset
 * (29 rules) for families an MCP tool result or argument plausibly carries: cloud credentials
 * (Google API keys and OAuth secrets, Azure storage/Service Bus keys and AD client secrets),
 * database and service URLs with a password in any scheme (the preset knows only postgres, mysql,
 * mongodb, and http/ftp with a `[-\w]` password), ADO.NET/JDBC connection strings, Slack tokens
 * and webhooks beyond `xox[bparo]`, Stripe `_prod_` and webhook secrets, and prefixed tokens of
 * widely used services (DigitalOcean, PyPI, age, Sentry, GitLab non-PAT tokens, Doppler,
 * Atlassian, Telegram bots, Discord and Teams webhooks, Terraform Cloud, Postman, Pulumi,
 * RubyGems, Heroku, Brevo, Square, Anthropic admin keys, Amazon Bedrock). PEM private keys are
 * pem.ts's. Families gitleaks finds only by a vendor word next to an unprefixed string (Algolia,
 * Asana, Twilio, Mailgun...) are left to the generic assignment rule.
 *
 * The generic assignment rule (gitleaks' `generic-api-key`, narrowed): a secret-named key
 * (`api_key`, `client_secret`, `*_TOKEN`, `password`, ...) assigned a value that is not a
 * placeholder, a variable reference, a path or an identifier; a password needs 8+ characters of
 * three kinds, anything else 16+ characters with letters and digits and a Shannon entropy of at
 * least 3.5 bits a character (gitleaks' threshold).
 *
 * Each rule reports its capture group 1 when it has one (the value after `password=`), else the
 * whole match; the group is the last part of its match, so it is found by its last occurrence.
 */

export interface TokenRule {
  /** The redaction label and rule id (`secret.<label>`). */
  label: string;
  /** RE2 syntax. */
  source: string;
  /** Confirms the reported value. */
  confirm?: (value: string) => boolean;
}

/** Not a secret: placeholders, references, examples. */
const PLACEHOLDER = /[<>{}*]|\$\(|\$\{|\.\.\.|x{4}|X{4}|example|sample|placeholder|changeme|change_me|dummy|redacted|your[_-]?|^(?:pass(?:word)?|secret|token|none|null|undefined|true|false)$|process\.env|os\.environ|getenv|env\[|secrets\./i;
/**
 * An identifier, env-var name or member access rather than a value: `MY_API_TOKEN`,
 * `config.auth.token`, `my-secret-name`, `getPassword`, `entry.getPassword` (before a `(`).
 */
const IDENTIFIER = /^(?:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:[._-][a-z][a-z0-9]*)+|[a-z]+[A-Z][A-Za-z]*|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)$/;
/** A file path or a file name. */
const PATH = /^(?:\.{0,2}\/|~\/|[A-Za-z]:\\)|\.(?:json|pem|key|crt|cer|txt|ya?ml|env|p12|pfx|jks|toml|ini|conf|cfg)$/i;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const kinds = (s: string) => Number(/[a-z]/.test(s)) + Number(/[A-Z]/.test(s)) + Number(/[0-9]/.test(s)) + Number(/[^A-Za-z0-9]/.test(s));
const notPlaceholder = (v: string) => !PLACEHOLDER.test(v) && !IDENTIFIER.test(v) && !PATH.test(v);

/**
 * A random-looking value: letters and digits, 3.5+ bits a character; only hex digits needs 32
 * (the shortest hex API tokens; shorter ones are ids and sample values in docs).
 */
export const randomValue = (v: string) =>
  v.length >= (/^[0-9a-fA-F]+$/.test(v) ? 32 : 16) && /[A-Za-z]/.test(v) && /[0-9]/.test(v) && entropy(v) >= 3.5 && notPlaceholder(v);
const passwordValue = (v: string) => v.length >= 8 && kinds(v) >= 3 && notPlaceholder(v) && !/^[0-9.:/-]+$/.test(v);
const urlPassword = (v: string) => v.length >= 3 && notPlaceholder(v) && !/^(?:pass(?:word)?|secret|pwd|x+)$/i.test(v);

/**
 * What a key-value line names when it is not giving a value: a type (`password: string`), a
 * requirement (`api_key: required`), a switch or a source (`secret: env`).
 */
const NOT_A_VALUE = /^(?:str(?:ing)?|text|required|optional|bool(?:ean)?|int(?:eger)?|number|float|object|array|hidden|masked|secret|password|passwd|none|nil|empty|yes|no|on|off|enabled?|disabled?|env|environment|file|prompt|default|unset|sensitive|encrypted|base64|header|query|bearer|basic|type|value|omitted|hashed|set|n\/a)$/i;
/** The docs' stand-in password (`password: 'secret123'`, `'secret!'` in README samples: measured on benign-package-docs). */
const DOC_PASSWORD = /^(?:secret|password|pass|passw0rd|pwd|test|admin)[0-9!]{0,4}$/i;
/**
 * A literal given to a secret-named key on its own (`password: hunter2` on a line of its own, the
 * JSON `"api_key": "7f3a9c2e1b"`): what the generic rules leave when the value is too short or too
 * plain to look random. Letters only need 8+ characters (`secret: mysecretvalue`; `password:
 * required` is a type), anything with a digit or a symbol 4+.
 */
const literalValue = (v: string) => notPlaceholder(v) && !NOT_A_VALUE.test(v) && !DOC_PASSWORD.test(v) && v.length >= (/^[A-Za-z]+$/.test(v) ? 8 : 4);
/** Keys that name one credential (not `token`: `token: 3600` is a lifetime, `max_tokens: 1000` a limit). */
const CREDENTIAL_KEY = String.raw`passw(?:or)?d|pwd|passphrase|api[_.-]?key|apikey|secret|client[_.-]?secret|secret[_.-]?key|access[_.-]?token|auth[_.-]?token|api[_.-]?token|private[_.-]?key`;

/** Ends a token: the next character cannot continue it. */
const END = String.raw`(?:[^0-9A-Za-z_-]|$)`;
const SECRET_NAME = String.raw`api[_.-]?key|apikey|api[_.-]?token|access[_.-]?key|access[_.-]?token|auth[_.-]?token|auth[_.-]?key|client[_.-]?secret|secret[_.-]?key|app[_.-]?secret|private[_.-]?key|bearer[_.-]?token|refresh[_.-]?token|session[_.-]?token|secret|token|credentials?`;
/** `=`, `:`, `:=`, `=>` with optional quotes around the key and value (JSON-escaped `\"` too). */
const ASSIGN = String.raw`\\?["']?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}(?:\\?["'\x60])?`;
const URL_SCHEMES = 'redis|rediss|amqps?|mssql|sqlserver|mariadb|cockroachdb|clickhouse|couchdb|neo4j(?:\\+s)?|bolt|ldaps?|smtps?|sftp|ssh|nats|kafka|cassandra|snowflake|oracle|db2|memcached|elasticsearch|influxdb|postgres(?:ql)?|mysqlx?|mongodb(?:\\+srv)?|https?|ftps?|wss?';

export const TOKEN_RULES: readonly TokenRule[] = [
  // --- cloud
  { label: 'google-api-key', source: String.raw`\b(AIza[0-9A-Za-z_-]{35})${END}` },
  { label: 'google-oauth-secret', source: String.raw`\b(GOCSPX-[0-9A-Za-z_-]{28})${END}` },
  { label: 'google-oauth-token', source: String.raw`\b(ya29\.[0-9A-Za-z_-]{30,1000})` },
  { label: 'azure-key', source: String.raw`(?i)\b(?:AccountKey|SharedAccessKey|SharedKey)[ \t]?=[ \t]?([A-Za-z0-9+/]{40,88}={0,2})` },
  { label: 'azure-client-secret', source: String.raw`(?:^|[\\'"\x60\s>=:(,)])([a-zA-Z0-9_~.]{3}[0-9]Q~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),])` },
  { label: 'aws-bedrock-key', source: String.raw`\b(ABSK[A-Za-z0-9+/]{109,269}={0,2})` },
  { label: 'digitalocean-token', source: String.raw`\b(do[opr]_v1_[a-f0-9]{64})\b` },
  // --- URLs and connection strings with a password
  { label: 'url-password', source: String.raw`(?i)\b(?:${URL_SCHEMES}|jdbc:[a-z0-9]{2,20})://[^\s:@/?#'"]{0,128}:([^\s@/'"<>]{3,200})@[A-Za-z0-9\[]`, confirm: urlPassword },
  { label: 'database-password', source: String.raw`(?i)\b(?:server|data source|host|address|addr)[ \t]?=[^\r\n]{1,300}?;[ \t]?(?:password|pwd)[ \t]?=[ \t]?([^;'"\s]{3,128})`, confirm: urlPassword },
  { label: 'database-password', source: String.raw`(?i)\bjdbc:[a-z0-9]{2,20}:[^\s'"]{0,300}?[?&;](?:password|pwd)=([^&;\s'"]{3,128})`, confirm: urlPassword },
  // --- chat, payments, developer services
  { label: 'slack-token', source: String.raw`\b(xox[es](?:\.xox[bp])?-[0-9A-Za-z-]{20,250})` },
  { label: 'slack-webhook', source: String.raw`hooks\.slack\.com/(?:workflows|triggers)/[A-Za-z0-9+/]{20,120}` },
  { label: 'stripe-key', source: String.raw`\b((?:sk|rk)_prod_[0-9A-Za-z]{10,99})\b` },
  { label: 'stripe-webhook-secret', source: String.raw`\b(whsec_[0-9A-Za-z+/=]{32,100})` },
  { label: 'discord-webhook', source: String.raw`discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,70}` },
  { label: 'teams-webhook', source: String.raw`\.webhook\.office\.com/webhookb2/[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36}` },
  { label: 'telegram-bot-token', source: String.raw`\b([0-9]{8,10}:AA[0-9A-Za-z_-]{33})${END}` },
  { label: 'anthropic-admin-key', source: String.raw`\b(sk-ant-admin01-[A-Za-z0-9_-]{93}AA)${END}` },
  { label: 'pypi-token', source: String.raw`\b(pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,1000})` },
  { label: 'age-secret-key', source: String.raw`\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b` },
  { label: 'gitlab-token', source: String.raw`\b(gl(?:rt|dt|ptt|ft|imt|agent|oas|cbt|soat|ffct)-[0-9A-Za-z_-]{20,300})` },
  { label: 'sentry-token', source: String.raw`\b(sntry[us]_[A-Za-z0-9+/=_]{40,400})` },
  { label: 'doppler-token', source: String.raw`\b(dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})\b` },
  { label: 'atlassian-token', source: String.raw`\b(ATATT3[A-Za-z0-9_=-]{186})` },
  { label: 'terraform-token', source: String.raw`\b([a-z0-9]{14}\.atlasv1\.[a-z0-9_=-]{60,70})\b` },
  { label: 'postman-key', source: String.raw`\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b` },
  { label: 'pulumi-token', source: String.raw`\b(pul-[a-f0-9]{40})\b` },
  { label: 'rubygems-key', source: String.raw`\b(rubygems_[a-f0-9]{48})\b` },
  { label: 'heroku-key', source: String.raw`\b(HRKU-AA[0-9A-Za-z_-]{58})${END}` },
  { label: 'brevo-key', source: String.raw`\b(xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b` },
  { label: 'square-token', source: String.raw`\b(sq0(?:atp|csp)-[0-9A-Za-z_-]{22,60})` },
  // --- generic assignments (last: the named families above label a value better; the plainest last of all)
  { label: 'password', source: String.raw`(?i)(?:\b|_)(?:passw(?:or)?d|pwd|passphrase)(?:[_.-][a-z0-9]{1,12})?${ASSIGN}([^\s'"\x60;,<>(){}\[\]]{8,64})`, confirm: passwordValue },
  { label: 'generic-secret', source: String.raw`(?i)(?:\b|_|[a-z0-9])(?:${SECRET_NAME})(?:[_.-]?[a-z0-9]{1,12})?${ASSIGN}([A-Za-z0-9_+/.~-]{16,150}={0,2})`, confirm: randomValue },
  // The value is the whole rest of its line or JSON member (a closing quote, `,`, `;`, `}`, `&` or the line end
  // follows): "password: must be 8 characters" is prose, not a value.
  {
    label: 'credential-assignment',
    source: String.raw`(?im)(?:^|[^a-z0-9])(?:[a-z0-9]{1,20}[_.-])?(?:${CREDENTIAL_KEY})${ASSIGN}([^\s'"\x60,;{}<>()\[\]&]{4,128})(?:\\?["'\x60]|[ \t]*(?:$|[,;}\]&]))`,
    confirm: literalValue,
  },
];
