/**
 * Identity end to end: a real OAuth issuer (scripts/test-issuer.ts: RFC 8414 metadata, JWKS, token
 * endpoint) on localhost, a real `portcullis run` with `requireAuth: true` in front of
 * server-everything (stdio), and real clients (the v1 SDK, raw HTTP).
 *
 * Each refusal is checked for its HTTP status, its `WWW-Authenticate` challenge and its audit
 * record: expired, not yet valid, wrong audience, wrong issuer, alg none, HS256 keyed with the
 * public key (algorithm confusion), an unknown key, a token in the query string, an oversized
 * token, no token. Also: key rotation (refresh on unknown kid, bounded by the cooldown), step-up
 * (403 insufficient_scope), a session used with another caller's token (404), role-based tool
 * rules that lists agree with, and API keys made by `portcullis keys api-key`. Over stdio:
 * identity-stdio.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { base64url, SignJWT } from 'jose';
import { startTestIssuer, type TestIssuer } from '../../scripts/test-issuer.ts';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { BIN, EVERYTHING, NODE, runCli, startGateway, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const RESOURCE = 'https://gw.test.example/mcp';
const METADATA = 'https://gw.test.example/.well-known/oauth-protected-resource/mcp';
const PROTOCOL = '2025-11-25';
const ADMIN_TOKEN = 'identity-e2e-admin-token-8d2f';

/** `portcullis keys api-key`: the key and the YAML entry it prints. */
function makeApiKey(subject: string, roles: string): { key: string; entry: string } {
  const r = spawnSync(NODE, [BIN, 'keys', 'api-key', '--subject', subject, '--roles', roles, '--id', 'ci'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const key = /^\s+(pcl_\S+)$/m.exec(r.stdout)![1];
  const entry = r.stdout.slice(r.stdout.indexOf('      - id:'));
  return { key, entry };
}

const config = (issuer: string, apiKeyEntry: string) => `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "sha256:${createHash('sha256').update(ADMIN_TOKEN).digest('hex')}"}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
  identity:
    resource: ${RESOURCE}
    jwt:
      issuer: ${issuer}
      requiredScopes: ["mcp:tools"]
      jwksCooldownSeconds: 1
      tokenType: at+jwt
    apiKeys:
${apiKeyEntry.replace(/\n$/, '')}
        scopes: ["mcp:tools"]
  security:
    requireAuth: true
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - echo
        - {pattern: get-sum, roles: [analyst]}
        - {pattern: get-tiny-image, requiredScopes: ["mcp:images"]}
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'identity-e2e', version: '0' } } };

interface Answer {
  status: number;
  challenge: string | null;
  sid: string | null;
  body: { result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } } | undefined;
}

async function post(url: string, body: unknown, opts: { token?: string; sid?: string; query?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.sid) {
    headers['mcp-session-id'] = opts.sid;
    headers['mcp-protocol-version'] = PROTOCOL;
  }
  const res = await fetch(url + (opts.query ?? ''), { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  // An SSE answer (2025-11-25: a priming event with empty data first): the answer is the last data.
  const sse = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  const json = sse ? (text.split('\n').filter((l) => l.startsWith('data: ') && l.length > 6).at(-1)?.slice(6) ?? '') : text;
  return { status: res.status, challenge: res.headers.get('www-authenticate'), sid: res.headers.get('mcp-session-id'), body: json ? JSON.parse(json) : undefined };
}

/** initialize + notifications/initialized with this token; the session id. */
async function openSession(url: string, token: string): Promise<string> {
  const a = await post(url, INIT, { token });
  assert.equal(a.status, 200, JSON.stringify(a.body));
  await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { token, sid: a.sid! });
  return a.sid!;
}

const call = (id: number, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('portcullis run as an OAuth 2.1 resource server', { timeout: 180_000 }, () => {
  let issuer: TestIssuer;
  let gw: RunningGateway;
  let apiKey: string;
  const token = (claims: Record<string, unknown> = {}, opts?: Parameters<TestIssuer['sign']>[1]) =>
    issuer.sign({ sub: 'alice', aud: RESOURCE, scope: 'mcp:tools', roles: ['analyst'], ...claims }, opts);

  before(async () => {
    issuer = await startTestIssuer();
    const k = makeApiKey('ci-bot', 'analyst');
    apiKey = k.key;
    gw = await startGateway(config(issuer.issuer, k.entry));
  });
  after(async () => {
    await gw?.stop();
    await issuer?.close();
  });

  test('serves RFC 9728 protected resource metadata at both well-known paths', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(new URL(path, gw.url));
      assert.equal(res.status, 200, path);
      const doc = (await res.json()) as Record<string, unknown>;
      assert.equal(doc.resource, RESOURCE);
      assert.deepEqual(doc.authorization_servers, [issuer.issuer]);
      assert.deepEqual(doc.bearer_methods_supported, ['header']);
      assert.deepEqual(new Set(doc.scopes_supported as string[]), new Set(['mcp:tools', 'mcp:images']));
    }
  });

  test('the v1 SDK client with a bearer token calls a tool; the audit names subject and method', async () => {
    const t = await token();
    const client = new Client({ name: 'identity-e2e-sdk', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { Authorization: `Bearer ${t}` } } }));
    const r = await client.callTool({ name: 'echo', arguments: { message: 'hello with a token' } });
    assert.match(textOf(r), /hello with a token/);
    await client.close();
    const rec = await waitForAudit(gw, (x) => x.event === 'tool_invoked' && x.tool === 'echo' && x.principal === 'alice');
    assert.equal(rec.authMethod, 'jwt');
  });

  const refusals: [string, () => Promise<{ token?: string; query?: string }>, number, RegExp, RegExp][] = [
    ['no token', async () => ({}), 401, /^Bearer scope="mcp:tools", resource_metadata="[^"]+"$/, /requireAuth: no credential/],
    ['expired', async () => ({ token: await token({ exp: Math.floor(Date.now() / 1000) - 120 }) }), 401, /error="invalid_token"/, /ERR_JWT_EXPIRED/],
    ['not yet valid', async () => ({ token: await token({ nbf: Math.floor(Date.now() / 1000) + 600 }) }), 401, /error="invalid_token"/, /nbf/],
    ['wrong audience', async () => ({ token: await token({ aud: 'https://other.example/mcp' }) }), 401, /error="invalid_token"/, /\(aud\)/],
    ['wrong issuer', async () => ({ token: await token({ iss: 'http://127.0.0.1:1/evil' }) }), 401, /error="invalid_token"/, /\(iss\)/],
    ['not an access token (typ JWT, e.g. an ID token, where at+jwt is required)', async () => ({ token: await token({}, { typ: 'JWT' }) }), 401, /error="invalid_token"/, /typ/],
    [
      'alg none',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
        return { token: `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: issuer.issuer, sub: 'alice', aud: RESOURCE, scope: 'mcp:tools', iat: now, exp: now + 300 })}.` };
      },
      401,
      /error="invalid_token"/,
      /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/,
    ],
    [
      'HS256 keyed with the public JWK (algorithm confusion)',
      async () => {
        const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] };
        const pub = jwks.keys[jwks.keys.length - 1];
        const now = Math.floor(Date.now() / 1000);
        const forged = await new SignJWT({ iss: issuer.issuer, sub: 'alice', aud: RESOURCE, scope: 'mcp:tools', iat: now, exp: now + 300 })
          .setProtectedHeader({ alg: 'HS256', kid: pub.kid as string })
          .sign(new TextEncoder().encode(JSON.stringify(pub)));
        return { token: forged };
      },
      401,
      /error="invalid_token"/,
      /ERR_JOSE_ALG_NOT_ALLOWED/,
    ],
    [
      'signed by a key the issuer never published',
      async () => {
        const stray = await issuer.strayKey();
        return { token: await token({}, { kid: stray.kid, key: stray.privateKey }) };
      },
      401,
      /error="invalid_token"/,
      /ERR_JWKS_NO_MATCHING_KEY/,
    ],
    ['token in the query string', async () => ({ query: `?access_token=${await token()}` }), 400, /error="invalid_request"/, /query string/],
    ['oversized token', async () => ({ token: 'e' + 'x'.repeat(9000) }), 401, /error="invalid_token"/, /exceeds maxTokenBytes/],
  ];

  for (const [name, make, status, challenge, reason] of refusals) {
    test(`refused: ${name}`, async () => {
      const { token: t, query } = await make();
      const marker = `refusal-${name}`;
      const a = await post(gw.url, { ...INIT, params: { ...INIT.params, clientInfo: { name: marker, version: '0' } } }, { token: t, query });
      assert.equal(a.status, status, JSON.stringify(a.body));
      assert.ok(a.challenge, 'WWW-Authenticate is set');
      assert.match(a.challenge, challenge);
      assert.match(a.challenge, new RegExp(`resource_metadata="${METADATA.replace(/[.]/g, '\\.')}"`));
      assert.equal(a.sid, null, 'no session for a refused caller');
      assert.equal(a.body?.error?.data?.reason, status === 400 ? 'INVALID_REQUEST' : 'UNAUTHENTICATED');
      await waitForAudit(gw, (r) => r.event === 'authentication_failed' && r.decision === 'deny' && reason.test(String(r.reason)));
    });
  }

  test('key rotation: a token with the new kid is accepted after one JWKS refresh; unknown kids do not hammer the IdP', async () => {
    await post(gw.url, INIT, { token: await token() }); // keys cached
    await new Promise((r) => setTimeout(r, 1200)); // past the 1 s cooldown
    const before = issuer.jwksFetches();
    const kid = await issuer.rotate();
    const a = await post(gw.url, INIT, { token: await token({}, { kid }) });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(issuer.jwksFetches(), before + 1, 'exactly one refresh for the new kid');
    // 20 tokens with invented kids at once: the cooldown (and jose's single in-flight reload) bound the fetches.
    const stray = await issuer.strayKey();
    const flood = await Promise.all(Array.from({ length: 20 }, async () => post(gw.url, INIT, { token: await token({}, { kid: `${stray.kid}-${Math.random()}`, key: stray.privateKey }) })));
    assert.ok(flood.every((f) => f.status === 401));
    assert.ok(issuer.jwksFetches() - before <= 4, `JWKS fetched ${issuer.jwksFetches() - before} times for 21 tokens`);
  });

  test('step-up: a token without a globally required scope gets 403 insufficient_scope', async () => {
    const a = await post(gw.url, INIT, { token: await token({ scope: 'profile' }) });
    assert.equal(a.status, 403);
    assert.match(a.challenge!, /^Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="/);
    assert.equal(a.body?.error?.data?.reason, 'INSUFFICIENT_SCOPE');
    await waitForAudit(gw, (r) => r.event === 'authentication_failed' && r.code === 'INSUFFICIENT_SCOPE' && r.principal === 'alice');
  });

  test("step-up: a tool rule's requiredScopes answer a call with 403 naming the scopes; a token with them succeeds", async () => {
    const t = await token();
    const sid = await openSession(gw.url, t);
    const list = await post(gw.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { token: t, sid });
    assert.ok((list.body!.result!.tools as { name: string }[]).some((x) => x.name === 'get-tiny-image'), 'listed: callable after step-up');
    const denied = await post(gw.url, call(3, 'get-tiny-image'), { token: t, sid });
    assert.equal(denied.status, 403);
    assert.match(denied.challenge!, /error="insufficient_scope", scope="mcp:tools mcp:images"/);
    assert.equal(denied.body?.error?.data?.reason, 'INSUFFICIENT_SCOPE');
    await waitForAudit(gw, (r) => r.event === 'policy_violation' && r.code === 'INSUFFICIENT_SCOPE' && /mcp:images/.test(String(r.reason)));
    // The client steps up: a new token with the scope, same subject, same session.
    const ok = await post(gw.url, call(4, 'get-tiny-image'), { token: await token({ scope: 'mcp:tools mcp:images' }), sid });
    assert.equal(ok.status, 200);
    assert.ok(ok.body?.result, JSON.stringify(ok.body));
  });

  test("a session used with another caller's valid token is not found (404) and audited; its owner keeps it", async () => {
    const alice = await token();
    const sid = await openSession(gw.url, alice);
    const bob = await token({ sub: 'bob' });
    const stolen = await post(gw.url, call(5, 'echo', { message: 'x' }), { token: bob, sid });
    assert.equal(stolen.status, 404);
    assert.equal(stolen.body?.error?.data?.reason, 'SESSION_NOT_FOUND');
    await waitForAudit(gw, (r) => r.event === 'session_principal_mismatch' && r.session === sid && r.principal === 'bob');
    // Without any token, under requireAuth: 401 before the session is even looked up.
    assert.equal((await post(gw.url, call(6, 'echo', { message: 'x' }), { sid })).status, 401);
    const mine = await post(gw.url, call(7, 'echo', { message: 'still mine' }), { token: alice, sid });
    assert.equal(mine.status, 200);
    assert.match(JSON.stringify(mine.body), /still mine/);
  });

  test('token expiry mid-session: the next request with the expired token is 401', async () => {
    const sid = await openSession(gw.url, await token());
    const expired = await token({ exp: Math.floor(Date.now() / 1000) - 120 });
    const a = await post(gw.url, call(8, 'echo', { message: 'late' }), { token: expired, sid });
    assert.equal(a.status, 401);
    assert.match(a.challenge!, /error="invalid_token"/);
  });

  test('token expiry ends the GET notification stream the token opened', async () => {
    const shortLived = await token({ exp: Math.floor(Date.now() / 1000) + 3 });
    const sid = await openSession(gw.url, shortLived);
    const res = await fetch(gw.url, { headers: { accept: 'text/event-stream', authorization: `Bearer ${shortLived}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const drain = async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read());
      return 'ended by the gateway';
    };
    // Generous cap (the token lives 3 s): what is asserted is that the gateway ends the stream.
    let cap: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([drain(), new Promise<string>((r) => (cap = setTimeout(() => r('still open after 60 s'), 60_000)))]);
    clearTimeout(cap);
    await reader.cancel().catch(() => {});
    assert.equal(outcome, 'ended by the gateway');
  });

  test('role-based rule: analyst may call get-sum, viewer sees an unknown tool, and tools/list agrees', async () => {
    const analyst = await token();
    const viewer = await token({ sub: 'victor', roles: ['viewer'] });
    const sa = await openSession(gw.url, analyst);
    const sv = await openSession(gw.url, viewer);
    const names = async (t: string, sid: string) => ((await post(gw.url, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { token: t, sid })).body!.result!.tools as { name: string }[]).map((x) => x.name);
    assert.ok((await names(analyst, sa)).includes('get-sum'));
    assert.ok(!(await names(viewer, sv)).includes('get-sum'));
    assert.ok((await names(viewer, sv)).includes('echo'));
    const ok = await post(gw.url, call(10, 'get-sum', { a: 2, b: 3 }), { token: analyst, sid: sa });
    assert.match(JSON.stringify(ok.body?.result), /5/);
    const no = await post(gw.url, call(11, 'get-sum', { a: 2, b: 3 }), { token: viewer, sid: sv });
    assert.equal(no.status, 200);
    assert.equal(no.body?.error?.code, -32602);
    assert.equal(no.body?.error?.data?.reason, 'UNKNOWN_TOOL');
    const rec = await waitForAudit(gw, (r) => r.event === 'tool_denied' && r.principal === 'victor' && r.tool === 'get-sum');
    assert.match(String(rec.rule), /no rule for this tool applies to the caller/);
  });

  test('revoke --subject: tokens issued before the revocation are refused (401), newer ones work', async () => {
    const old = await token({ sub: 'rita' });
    const sid = await openSession(gw.url, old);
    const tokenFile = join(gw.dir, 'admin.token');
    writeFileSync(tokenFile, ADMIN_TOKEN + '\n', { mode: 0o600 });
    const admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
    const r = await runCli(['revoke', '--subject', 'rita', '--reason', 'e2e', '--url', admin, '--token-file', tokenFile]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const refused = await post(gw.url, INIT, { token: old });
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.match(refused.challenge!, /error="invalid_token"/);
    assert.equal((await post(gw.url, call(12, 'echo', { message: 'x' }), { token: old, sid })).status >= 400, true);
    await waitForAudit(gw, (x) => x.principal === 'rita' && /before its revocation/.test(String(x.reason)));
    const fresh = await token({ sub: 'rita', iat: Math.floor(Date.now() / 1000) + 2 });
    assert.equal((await post(gw.url, INIT, { token: fresh })).status, 200);
  });

  test('API key from `portcullis keys api-key` works; a wrong key is refused with 401', async () => {
    const client = new Client({ name: 'identity-e2e-key', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { Authorization: `Bearer ${apiKey}` } } }));
    const r = await client.callTool({ name: 'get-sum', arguments: { a: 40, b: 2 } });
    assert.match(textOf(r), /42/);
    await client.close();
    const rec = await waitForAudit(gw, (x) => x.event === 'tool_invoked' && x.principal === 'ci-bot');
    assert.equal(rec.authMethod, 'api-key');
    const wrong = makeApiKey('ci-bot', 'analyst').key;
    const a = await post(gw.url, INIT, { token: wrong });
    assert.equal(a.status, 401);
    assert.match(a.challenge!, /error="invalid_token"/);
    await waitForAudit(gw, (x) => x.event === 'authentication_failed' && x.authMethod === 'api-key' && x.reason === 'unknown API key');
    const sdk = new Client({ name: 'identity-e2e-wrong-key', version: '0' });
    await assert.rejects(sdk.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { Authorization: `Bearer ${wrong}` } } })));
  });
});

describe('without requireAuth', { timeout: 120_000 }, () => {
  let issuer: TestIssuer;
  let gw: RunningGateway;
  before(async () => {
    issuer = await startTestIssuer();
    gw = await startGateway(`
mcp:
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
    - name: secure
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
      security: {requireAuth: true}
  identity:
    jwt: {issuer: "${issuer.issuer}"}
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
  });
  after(async () => {
    await gw?.stop();
    await issuer?.close();
  });

  test('no credential is anonymous, but a presented bad token is refused, never downgraded', async () => {
    const anon = await post(gw.url, INIT);
    assert.equal(anon.status, 200);
    const bad = await post(gw.url, INIT, { token: await issuer.sign({ sub: 'alice', aud: 'https://elsewhere.example/mcp' }) });
    assert.equal(bad.status, 401);
    assert.match(bad.challenge!, /error="invalid_token"/);
    // The default audience is the gateway's own URL (derived from mcp.listen).
    const good = await post(gw.url, INIT, { token: await issuer.sign({ sub: 'alice', aud: gw.url }) });
    assert.equal(good.status, 200, JSON.stringify(good.body));
  });

  test("a server's own requireAuth: hidden from anonymous callers (401 on call), served to authenticated ones", async () => {
    const anonSid = (await post(gw.url, INIT)).sid!;
    await post(gw.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { sid: anonSid });
    const listed = (await post(gw.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { sid: anonSid })).body!.result!.tools as { name: string }[];
    assert.ok(listed.some((t) => t.name === 'everything__echo'));
    assert.ok(!listed.some((t) => t.name.startsWith('secure__')), 'not listed to anonymous');
    const refused = await post(gw.url, call(3, 'secure__echo', { message: 'x' }), { sid: anonSid });
    assert.equal(refused.status, 401);
    assert.match(refused.challenge!, /^Bearer resource_metadata="[^"]+"$/);
    await waitForAudit(gw, (r) => r.event === 'policy_violation' && r.code === 'UNAUTHENTICATED' && r.server === 'secure');
    const t = await issuer.sign({ sub: 'alice', aud: gw.url });
    const sid = await openSession(gw.url, t);
    const ok = await post(gw.url, call(4, 'secure__echo', { message: 'authenticated' }), { token: t, sid });
    assert.match(JSON.stringify(ok.body), /authenticated/);
  });
});
