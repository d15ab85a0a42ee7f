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
import { Agent } from 'undici';
import { makePki } from '../test/helpers/certs.ts';
import { startGateway } from '../test/helpers/gateway-process.ts';
import { benchArgs, runInterleaved, type Mode } from './interleaved-modes.ts';
import { MOCK, NODE } from './targets.ts';

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

const pki = makePki();
const tls = (client: string) => `, tls: { certPath: "${pki.server.cert}", keyPath: "${pki.server.key}", caPath: "${pki.ca.cert}", clientCertificate: ${client} }`;
const ca = readFileSync(pki.ca.cert);
const agents = [new Agent(), new Agent({ connect: { ca } }), new Agent({ connect: { ca, cert: readFileSync(pki.clientCn.cert), key: readFileSync(pki.clientCn.key) } })];
const modes: Mode[] = [
  { name: 'http', gw: await startGateway(config('')), dispatcher: agents[0] },
  { name: 'https', gw: await startGateway(config(tls('none'))), dispatcher: agents[1] },
  { name: 'https + mTLS', gw: await startGateway(config(tls('required'))), dispatcher: agents[2] },
];
try {
  await runInterleaved('tools/call (blob 1 KB) through portcullis run, keep-alive', modes, benchArgs());
} finally {
  await Promise.all(modes.map((m) => m.gw.stop()));
  await Promise.all(agents.map((a) => a.close()));
}
