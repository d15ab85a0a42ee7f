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
import { parseArgs } from 'node:util';
import { generateApiKey } from '../src/identity/api-keys.ts';
import { startTestIssuer } from '../scripts/test-issuer.ts';
import { startGateway, type RunningGateway } from '../test/helpers/gateway-process.ts';
import { callBody, callHeaders, INIT_HEADERS, initializeBody, LEGACY } from './mcp-wire.ts';
import { summarize } from './stats.ts';
import { MOCK, NODE } from './targets.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '500' }, rounds: { type: 'string', default: '5' } } });
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);
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

interface Mode {
  name: string;
  gw: RunningGateway;
  auth: Record<string, string>;
  sid?: string;
  samples: number[];
}

async function open(m: Mode): Promise<void> {
  const res = await fetch(m.gw.url, { method: 'POST', headers: { ...INIT_HEADERS, ...m.auth }, body: initializeBody(0) });
  await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (!sid) throw new Error(`${m.name}: initialize failed with HTTP ${res.status}`);
  m.sid = sid;
  await (await fetch(m.gw.url, { method: 'POST', headers: { ...INIT_HEADERS, ...m.auth, 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
}

async function calls(m: Mode, n: number, record: boolean): Promise<void> {
  const headers = { ...callHeaders('blob', 'session', m.sid), ...m.auth };
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(m.gw.url, { method: 'POST', headers, body: callBody(i, 'blob', { size: 1024 }, 'session') });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('"result"')) throw new Error(`${m.name}: HTTP ${res.status} ${text.slice(0, 200)}`);
    if (record) m.samples.push(performance.now() - t);
  }
}

async function main(): Promise<void> {
  const issuer = await startTestIssuer();
  const key = generateApiKey();
  const token = await issuer.sign({ sub: 'bench', aud: RESOURCE, scope: 'mcp:tools' }, { expiresIn: 3600 });
  const modes: Mode[] = [
    { name: 'no auth', gw: await startGateway(config('', false)), auth: {}, samples: [] },
    { name: 'JWT (ES256)', gw: await startGateway(config(`    jwt: {issuer: "${issuer.issuer}"}`, true)), auth: { authorization: `Bearer ${token}` }, samples: [] },
    { name: 'API key', gw: await startGateway(config(`    apiKeys: [{id: bench, subject: bench, hash: "${key.hash}"}]`, true)), auth: { authorization: `Bearer ${key.key}` }, samples: [] },
  ];
  try {
    for (const m of modes) {
      await open(m);
      await calls(m, 100, false); // warm-up: JIT, JWKS fetched and cached
    }
    for (let r = 0; r < ROUNDS; r++) for (const m of modes) await calls(m, CALLS, true);
    const base = summarize(modes[0].samples).p50;
    console.log(`tools/call (blob 1 KB) through portcullis run, ${ROUNDS} x ${CALLS} sequential calls per mode, interleaved`);
    console.log('mode           p50 ms   p90 ms   p99 ms   p50 ratio');
    for (const m of modes) {
      const s = summarize(m.samples);
      console.log(`${m.name.padEnd(13)} ${s.p50.toFixed(3).padStart(7)}  ${s.p90.toFixed(3).padStart(7)}  ${s.p99.toFixed(3).padStart(7)}   ${(s.p50 / base).toFixed(3)}`);
    }
    console.log(`JWKS fetches by the JWT gateway: ${issuer.jwksFetches()}`);
  } finally {
    await Promise.all(modes.map((m) => m.gw.stop()));
    await issuer.close();
  }
}

await main();
