/**
 * B1 over HTTP: a bare reverse proxy. Each request is piped to the upstream and the answer piped
 * back, with no look at either body — the floor any HTTP proxy in Node pays (an extra socket hop,
 * HTTP framing, two copies through user space).
 *
 *   node bench/byte-proxy.ts <upstream-url>     listens on 127.0.0.1:<random>, prints its URL
 */
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.argv[2] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  headers.host = upstream.host;
  const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent }, (ur) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(ur.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    res.writeHead(ur.statusCode ?? 502, out);
    ur.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`proxy listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}${upstream.pathname}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
