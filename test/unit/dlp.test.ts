/**
 * DLP detectors: secretlint's preset behind the anchor prefilter, JWT, PII with check digits,
 * terminal-control stripping and span redaction.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { scanDlp, scanSecrets, scanSecretsUnfiltered } from '../../src/detect/dlp.ts';
import { cardValid, ibanValid, luhnValid } from '../../src/detect/checksums.ts';
import { redactSpans } from '../../src/detect/redact-spans.ts';
import { stripTerminalControls } from '../../src/detect/terminal-controls.ts';
import { fakeSecrets } from '../helpers/fake-secrets.ts';

const rules = async (text: string) => (await scanSecrets(text)).map((f) => f.rule);

test('the anchor prefilter never hides a finding secretlint makes on its own', async () => {
  for (const [name, secret] of Object.entries(fakeSecrets())) {
    const text = `config ${name}: ${secret} (end)`;
    const filtered = (await scanSecrets(text)).filter((f) => f.category === 'secret' && f.rule !== 'secret.jwt');
    const all = await scanSecretsUnfiltered(text);
    assert.ok(all.length > 0, `secretlint finds ${name}`);
    // Each of secretlint's findings is reported, over at least its span (own rules may find the same
    // secret too, pem.ts a PEM block: those are merged into one finding, never dropped).
    for (const s of all) assert.ok(filtered.some((f) => f.rule === `secret.${s.label}` && f.start! <= s.start && f.end! >= s.end), `${name}: ${JSON.stringify(s)} in ${JSON.stringify(filtered)}`);
  }
});

test('secrets: AWS key id and secret key with exact spans, private key, JWT with a real header', async () => {
  const text = 'id AKIAQYLPMN5HHHFPZAM2 aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE"';
  const found = await scanSecrets(text, '/content/0/text');
  const secretKey = found.find((f) => f.rule === 'secret.aws-secret-key')!;
  assert.equal(text.slice(secretKey.start, secretKey.end), 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE');
  assert.ok(found.some((f) => f.rule === 'secret.aws-access-key' && f.path === '/content/0/text'));
  const pem = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu'.repeat(3)}\n-----END RSA PRIVATE KEY-----`;
  assert.deepEqual(await rules(pem), ['secret.private-key']);
  const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  assert.deepEqual(await rules(`Bearer ${jwt}`), ['secret.jwt']);
  // base64 that starts like a JWT but whose header is not a JOSE header
  const notJwt = `${Buffer.from('{"kind":"x","value":1}').toString('base64url')}.abcdefgh.ijkl`;
  assert.deepEqual(await rules(notJwt), []);
});

test('a secretlint-disable comment in the scanned text does not switch rules off', async () => {
  assert.deepEqual(await rules(`// secretlint-disable\nghp_${'a1B2c3D4e5'.repeat(3)}a1B2c3`), ['secret.github-token']);
});

test('PII: checks digits and allocation rules, not shapes', async () => {
  const found = await rules('mail bob@corp.example.org, +44 20 7946 0958, (415) 555-2671, 4111 1111 1111 1111, GB82 WEST 1234 5698 7654 32, 536-22-8726, AB123456C, 12345678Z');
  assert.deepEqual(found.sort(), ['pii.card', 'pii.email', 'pii.es-dni', 'pii.iban', 'pii.phone', 'pii.phone', 'pii.uk-nino', 'pii.us-ssn']);
  // one digit off: Luhn, mod-97 and the DNI letter fail; 666 and 000 areas are never issued
  assert.deepEqual(await rules('4111 1111 1111 1112, GB82 WEST 1234 5698 7654 33, 12345678A, 666-12-3456, 000-12-3456'), []);
  assert.ok(luhnValid('79927398713') && !cardValid('79927398713'));
  assert.ok(ibanValid('DE89 3704 0044 0532 0130 00') && !ibanValid('DE89 3704 0044 0532 0130 01'));
});

test('benign look-alikes are not findings', async () => {
  const benign = [
    '550e8400-e29b-41d4-a716-446655440000', '3f786850e387550fdab836ed7e6dc881de23001b', 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'released 2024-01-15T10:22:31Z as v1.2.3 build 1700000000000', 'icon@2x.png', 'npm install @secretlint/core@13.0.7', 'total 1234567890123 bytes',
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    'const x = a+b; const y = 3+4 * 10.5;', 'https://example.com/path?x=1', 'postgres is a database; mysql too',
  ];
  for (const text of benign) assert.deepEqual(await rules(text), [], text);
});

test('scanDlp: per-string findings, PII types can be narrowed, secrets switched off', async () => {
  const [a, b] = await scanDlp([{ text: 'bob@corp.example.org', path: '/a' }, { text: `ghp_${'x'.repeat(36)}`, path: '/b' }], { piiTypes: [] });
  assert.deepEqual(a, []);
  assert.equal(b![0]!.path, '/b');
  const [c] = await scanDlp([{ text: `ghp_${'x'.repeat(36)}` }], { secrets: false });
  assert.deepEqual(c, []);
});

test('offsets are UTF-16 offsets even after astral characters', async () => {
  const text = '😀😀 AKIAQYLPMN5HHHFPZAM2 😀 bob@corp.example.org';
  for (const f of await scanSecrets(text)) assert.match(text.slice(f.start, f.end), /^(AKIA|bob)/);
});

test('redactSpans merges overlaps and keeps the rest readable', () => {
  assert.equal(redactSpans('a SECRET b', [{ start: 2, end: 8, label: 'x' }, { start: 4, end: 6, label: 'y' }]), 'a [REDACTED:x] b');
  assert.equal(redactSpans('ab', []), 'ab');
});

test('terminal controls: CSI, OSC 8 links, lone CR, C1 are stripped; TAB, LF, CRLF stay', () => {
  const s = 'a\x1b[31mred\x1b[0m \x1b]8;;http://evil\x07link\x1b]8;;\x07 b\rc\r\n \x9b2J ok\x07\tend\x1b]0;title';
  assert.equal(stripTerminalControls(s), 'ared link bc\r\n  ok\tend');
  const plain = 'nothing to do\n\tat all';
  assert.equal(stripTerminalControls(plain), plain);
});

test('terminal controls: exactly the code units of the control class change a string (every UTF-16 unit)', () => {
  // The prefilter is a V8 character class; this is the class as RE2 (which strips) reads it.
  const control = (c: number) => c <= 0x08 || (c >= 0x0b && c <= 0x1f) || (c >= 0x7f && c <= 0x9f);
  for (let c = 0; c <= 0xffff; c++) {
    const s = `ab${String.fromCharCode(c)}cd`;
    assert.equal(stripTerminalControls(s) !== s, control(c), `U+${c.toString(16).padStart(4, '0')}`);
  }
});
