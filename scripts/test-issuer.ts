/**
 * A tiny local OAuth 2.1 authorization server for tests and the README's worked example. NOT for
 * production: fixed demo clients, keys in memory, plain HTTP on loopback.
 *
 *   GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (issuer, jwks_uri, token_endpoint)
 *   GET  /jwks                                     the public keys (current and, after a rotation, previous)
 *   POST /token                                    client_credentials grant (RFC 6749 §4.4) with
 *                                                  `resource` (RFC 8707) → the token's `aud`
 *
 * Demo clients (client_secret_post or client_secret_basic):
 *   demo-agent / demo-secret    roles [analyst], scope "mcp:tools"
 *   demo-viewer / viewer-secret roles [viewer],  scope "mcp:tools"
 *
 * CLI: `node scripts/test-issuer.ts [--port 9400] [--host 127.0.0.1]` prints the issuer URL and runs
 * until interrupted. As a module, `startTestIssuer()` also signs arbitrary tokens for tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface DemoClient {
  secret: string;
  roles: string[];
  scope: string;
}

export const DEMO_CLIENTS: Record<string, DemoClient> = {
  'demo-agent': { secret: 'demo-secret', roles: ['analyst'], scope: 'mcp:tools' },
  'demo-viewer': { secret: 'viewer-secret', roles: ['viewer'], scope: 'mcp:tools' },
};

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface TestIssuer {
  issuer: string;
  jwksUri: string;
  server: Server;
  /** JWKS requests served so far (to see refresh and cooldown at work). */
  jwksFetches(): number;
  /** Sign a token with the current key (or `kid` of a key given), default claims: iss, iat, exp in 5 min. */
  sign(claims: JWTPayload, opts?: { kid?: string; key?: CryptoKey; alg?: string; expiresIn?: number; typ?: string }): Promise<string>;
  /** New current key; the previous one stays published unless `dropOld`. Returns the new kid. */
  rotate(opts?: { dropOld?: boolean }): Promise<string>;
  /** A key pair that is never published (a token signed by an unknown key). */
  strayKey(): Promise<{ kid: string; privateKey: CryptoKey }>;
  close(): Promise<void>;
}

const ALG = 'ES256';

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' } };
}

function readBody(req: IncomingMessage, max = 16_384): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      s += c;
      if (s.length > max) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function startTestIssuer(opts: { port?: number; host?: string } = {}): Promise<TestIssuer> {
  const host = opts.host ?? '127.0.0.1';
  let keys: SigningKey[] = [await newKey()];
  let fetches = 0;
  let issuer = '';

  const sign: TestIssuer['sign'] = async (claims, o = {}) => {
    const current = keys[keys.length - 1];
    const kid = o.kid ?? current.kid;
    const key = o.key ?? keys.find((k) => k.kid === kid)?.privateKey ?? current.privateKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer, iat: now, exp: now + (o.expiresIn ?? 300), jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: o.alg ?? ALG, kid, typ: o.typ ?? 'at+jwt' })
      .sign(key);
  };

  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        response_types_supported: [],
      });
    }
    if (req.method === 'GET' && path === '/jwks') {
      fetches++;
      return json(200, { keys: keys.map((k) => k.jwk) });
    }
    if (req.method === 'POST' && path === '/token') {
      void readBody(req).then(async (text) => {
        const form = new URLSearchParams(text);
        let id = form.get('client_id') ?? '';
        let secret = form.get('client_secret') ?? '';
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
        if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
        const client = Object.hasOwn(DEMO_CLIENTS, id) ? DEMO_CLIENTS[id] : undefined;
        if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
        if (!client || client.secret !== secret) return json(401, { error: 'invalid_client' });
        const resource = form.get('resource');
        if (!resource) return json(400, { error: 'invalid_target', error_description: 'resource (RFC 8707) is required' });
        const scope = form.get('scope') ?? client.scope;
        const token = await sign({ sub: id, aud: resource, scope, roles: client.roles, client_id: id });
        json(200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope });
      }, () => json(400, { error: 'invalid_request' }));
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const addr = server.address();
  issuer = `http://${host}:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    server,
    jwksFetches: () => fetches,
    sign,
    rotate: async (o = {}) => {
      const k = await newKey();
      keys = o.dropOld ? [k] : [...keys, k];
      return k.kid;
    },
    strayKey: async () => {
      const k = await newKey();
      return { kid: k.kid, privateKey: k.privateKey };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '9400' }, host: { type: 'string', default: '127.0.0.1' } } });
  const t = await startTestIssuer({ port: Number(values.port), host: values.host });
  process.stdout.write(
    `test issuer (NOT for production) at ${t.issuer}\n` +
      `  metadata: ${t.issuer}/.well-known/oauth-authorization-server\n  jwks:     ${t.jwksUri}\n` +
      `  token:    curl -s -d grant_type=client_credentials -d client_id=demo-agent -d client_secret=demo-secret -d resource=<gateway URL> ${t.issuer}/token\n`,
  );
  process.on('SIGINT', () => void t.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void t.close().then(() => process.exit(0)));
}
