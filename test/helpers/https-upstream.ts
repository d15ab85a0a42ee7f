/**
 * A tiny MCP server over HTTPS (v1 SDK server, stateless Streamable HTTP) that records what each
 * request carried (the Authorization header, the client certificate), and a tiny OAuth token
 * endpoint (client credentials) issuing short-lived tokens. Real sockets, real TLS.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { TestPki } from './certs.ts';

export interface SeenRequest {
  authorization?: string;
  clientCertCn?: string;
}

export interface HttpsUpstream {
  url: string;
  seen: SeenRequest[];
  /** Tokens the upstream accepts; empty = any Authorization passes. */
  acceptTokens: Set<string>;
  close(): Promise<void>;
}

export async function startHttpsUpstream(pki: TestPki, opts: { requireClientCert?: boolean; cert?: { cert: string; key: string } } = {}): Promise<HttpsUpstream> {
  const seen: SeenRequest[] = [];
  const acceptTokens = new Set<string>();
  const server: Server = createHttpsServer(
    {
      cert: readFileSync(opts.cert?.cert ?? pki.server.cert),
      key: readFileSync(opts.cert?.key ?? pki.server.key),
      ca: readFileSync(pki.ca.cert),
      requestCert: opts.requireClientCert ?? false,
      rejectUnauthorized: opts.requireClientCert ?? false,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const rec: SeenRequest = { authorization: req.headers.authorization, clientCertCn: [peer?.subject?.CN].flat()[0] };
      seen.push(rec);
      if (acceptTokens.size && !acceptTokens.has(String(req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
        return void res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
      }
      void handleMcp(req, res, rec).catch(() => res.writeHead(500).end());
    },
  );
  const handleMcp = async (req: IncomingMessage, res: import('node:http').ServerResponse, rec: SeenRequest) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const mcp = new McpServer({ name: 'https-upstream', version: '0.0.1' });
    mcp.registerTool('whoami', { description: 'What the upstream saw on this request' }, async () => ({
      content: [{ type: 'text', text: JSON.stringify(rec) }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://localhost:${port}/mcp`,
    seen,
    acceptTokens,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface TokenEndpoint {
  url: string;
  issued: string[];
  /** Requests seen: the Basic credentials decoded and the form. */
  requests: { clientId: string; secret: string; form: Record<string, string> }[];
  close(): Promise<void>;
}

/** OAuth client credentials endpoint on loopback; every token is new, valid `expiresIn` seconds. */
export async function startTokenEndpoint(expiresIn: number, onIssue: (token: string) => void, tls?: TestPki): Promise<TokenEndpoint> {
  const issued: string[] = [];
  const requests: TokenEndpoint['requests'] = [];
  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const [id, secret] = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
      requests.push({ clientId: id, secret, form: Object.fromEntries(new URLSearchParams(body)) });
      const token = `gw-token-${issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      issued.push(token);
      onIssue(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn }));
    });
  };
  // With `tls`: https with the test PKI's server certificate (an internal CA the system does not trust).
  const server = tls ? createHttpsServer({ cert: readFileSync(tls.server.cert), key: readFileSync(tls.server.key) }, handler) : createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/token`, issued, requests, close: () => new Promise((r) => server.close(() => r())) };
}
