/**
 * What authenticating every request costs: median latency of one `tools/call` through
 * `portcullis run` with no authentication, with a bearer JWT (ES256, JWKS from a local issuer,
 * keys cached), and with an API key, in one run on one machine. No assertions; it prints ratios.
 *
 *   node bench/identity-overhead.ts [--calls 500] [--rounds 5]
 *
 * Three gateways (one per mode) front the same stdio mock server (bench/mock-server.ts, `blob`
 * 1 KB). Each round runs `--calls` sequential calls per mode, the modes interleaved round by round
 * so drift in machine load hits them alike; the figure per mode is the median over all calls.
 */
import { generateApiKey } from '../src/identity/api-keys.ts';
import { startTestIssuer } from '../scripts/test-issuer.ts';
import { startGateway } from '../test/helpers/gateway-process.ts';
import { benchArgs, runInterleaved, type Mode } from './interleaved-modes.ts';
import { MOCK, NODE } from './targets.ts';

const RESOURCE = 'https://bench.example/mcp';

const config = (identity: string, requireAuth: boolean) => `
mcp:
  servers:
    - name: mock
      command: "${NODE}"
      args: ["${MOCK}", "--stdio"]
  identity:
    resource: ${RESOURCE}
${identity}
  security:
    requireAuth: ${requireAuth}
    toolAccess: {defaultPolicy: deny, allowedTools: [blob]}
    rateLimiting: {enabled: false}
    audit: {destinations: [{type: file, path: "\${AUDIT}"}]}
`;

const issuer = await startTestIssuer();
const key = generateApiKey();
const token = await issuer.sign({ sub: 'bench', aud: RESOURCE, scope: 'mcp:tools' }, { expiresIn: 3600 });
const modes: Mode[] = [
  { name: 'no auth', gw: await startGateway(config('', false)) },
  { name: 'JWT (ES256)', gw: await startGateway(config(`    jwt: {issuer: "${issuer.issuer}"}`, true)), headers: { authorization: `Bearer ${token}` } },
  { name: 'API key', gw: await startGateway(config(`    apiKeys: [{id: bench, subject: bench, hash: "${key.hash}"}]`, true)), headers: { authorization: `Bearer ${key.key}` } },
];
try {
  await runInterleaved('tools/call (blob 1 KB) through portcullis run', modes, benchArgs());
  console.log(`JWKS fetches by the JWT gateway: ${issuer.jwksFetches()}`);
} finally {
  await Promise.all(modes.map((m) => m.gw.stop()));
  await issuer.close();
}
