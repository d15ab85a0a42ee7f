/**
 * What TLS costs per request: median latency of one `tools/call` through `portcullis run` over
 * plain HTTP, HTTPS (X25519MLKEM768 negotiated) and HTTPS with a required client certificate, in
 * one run on one machine. Keep-alive connections, so the figure is the per-request record-layer
 * cost, not the handshake. No assertions; it prints ratios.
 *
 *   node bench/tls-overhead.ts [--calls 500] [--rounds 5]
 *
 * Three gateways front the same stdio mock server (bench/mock-server.ts, `blob` 1 KB). Each round
 * runs `--calls` sequential calls per mode, interleaved round by round.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';
import { makePki } from '../test/helpers/certs.ts';
import { startGateway, type RunningGateway } from '../test/helpers/gateway-process.ts';
import { callBody, callHeaders, INIT_HEADERS, initializeBody, LEGACY } from './mcp-wire.ts';
import { summarize } from './stats.ts';
import { MOCK, NODE } from './targets.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '500' }, rounds: { type: 'string', default: '5' } } });
const CALLS = Number(values.calls);
const ROUNDS = Number(values.rounds);

const config = (tls: string) => `
mcp:
  listen: { host: 127.0.0.1, port: 0${tls} }
  servers:
    - name: mock
      command: "${NODE}"
      args: ["${MOCK}", "--stdio"]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [blob]}
    rateLimiting: {enabled: false}
    audit: {destinations: [{type: file, path: "\${AUDIT}"}]}
`;

interface Mode {
  name: string;
  gw: RunningGateway;
  agent: Agent;
  sid?: string;
  samples: number[];
}

async function post(m: Mode, headers: Record<string, string>, body: string) {
  return fetch(m.gw.url, { method: 'POST', headers, body, dispatcher: m.agent });
}

async function open(m: Mode): Promise<void> {
  const res = await post(m, INIT_HEADERS, initializeBody(0));
  await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (!sid) throw new Error(`${m.name}: initialize failed with HTTP ${res.status}`);
  m.sid = sid;
  await (await post(m, { ...INIT_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': LEGACY }, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }))).text();
}

async function calls(m: Mode, n: number, record: boolean): Promise<void> {
  const headers = callHeaders('blob', 'session', m.sid);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await post(m, headers, callBody(i, 'blob', { size: 1024 }, 'session'));
    const text = await res.text();
    if (res.status !== 200 || !text.includes('"result"')) throw new Error(`${m.name}: HTTP ${res.status} ${text.slice(0, 200)}`);
    if (record) m.samples.push(performance.now() - t);
  }
}

async function main(): Promise<void> {
  const pki = makePki();
  const tls = (client: string) => `, tls: { certPath: "${pki.server.cert}", keyPath: "${pki.server.key}", caPath: "${pki.ca.cert}", clientCertificate: ${client} }`;
  const ca = readFileSync(pki.ca.cert);
  const modes: Mode[] = [
    { name: 'http', gw: await startGateway(config('')), agent: new Agent(), samples: [] },
    { name: 'https', gw: await startGateway(config(tls('none'))), agent: new Agent({ connect: { ca } }), samples: [] },
    { name: 'https + mTLS', gw: await startGateway(config(tls('required'))), agent: new Agent({ connect: { ca, cert: readFileSync(pki.clientCn.cert), key: readFileSync(pki.clientCn.key) } }), samples: [] },
  ];
  try {
    for (const m of modes) {
      await open(m);
      await calls(m, 100, false); // warm-up
    }
    for (let r = 0; r < ROUNDS; r++) for (const m of modes) await calls(m, CALLS, true);
    const base = summarize(modes[0].samples).p50;
    console.log(`tools/call (blob 1 KB) through portcullis run, keep-alive, ${ROUNDS} x ${CALLS} sequential calls per mode, interleaved`);
    console.log('mode           p50 ms   p90 ms   p99 ms   p50 ratio');
    for (const m of modes) {
      const s = summarize(m.samples);
      console.log(`${m.name.padEnd(13)} ${s.p50.toFixed(3).padStart(7)}  ${s.p90.toFixed(3).padStart(7)}  ${s.p99.toFixed(3).padStart(7)}   ${(s.p50 / base).toFixed(3)}`);
    }
  } finally {
    await Promise.all(modes.map((m) => m.gw.stop()));
    await Promise.all(modes.map((m) => m.agent.close()));
  }
}

await main();
