/**
 * The minimal MCP server every configuration fronts: `initialize`, `ping`, `tools/list` with
 * `blob {size, seq?}` (a text result of `size` bytes; with `seq`, a different text per call) and `sleep {ms}`, and `tools/call` of both.
 *
 *   node bench/mock-server.ts --stdio          newline-delimited JSON-RPC on stdin/stdout
 *   node bench/mock-server.ts --http [PORT]    Streamable HTTP on 127.0.0.1, JSON answers
 *
 * It is deliberately cheap, so the proxies in front of it are what the bench measures: results are
 * built once per size and spliced with the request id. Over HTTP it hands out a session id on
 * `initialize` and otherwise ignores sessions, 2026-07-28 headers and `_meta`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const TOOLS = {
  tools: [
    {
      name: 'blob',
      description: 'Returns a text result of `size` bytes (with `seq`, the text starts with it).',
      inputSchema: { type: 'object', properties: { size: { type: 'number' }, seq: { type: 'number' } }, required: ['size'] },
    },
    {
      name: 'sleep',
      description: 'Answers after `ms` milliseconds.',
      inputSchema: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
    },
  ],
};
const MAX_SIZE = 4 * 1024 * 1024;
const results = new Map<number, string>();

/** The text of `size` bytes for call `seq`: its number, then padding, so that no two calls answer alike. */
function seqResult(size: number, seq: number): string {
  const head = `${seq} `;
  return JSON.stringify({ content: [{ type: 'text', text: (head + 'x'.repeat(Math.max(0, size - head.length))).slice(0, size) }] });
}

function blobResult(size: number): string {
  let r = results.get(size);
  if (r === undefined) {
    r = JSON.stringify({ content: [{ type: 'text', text: 'x'.repeat(size) }] });
    results.set(size, r);
  }
  return r;
}

const answer = (id: unknown, resultJson: string) => `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${resultJson}}`;
const fail = (id: unknown, code: number, message: string) => JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } });

interface Msg {
  id?: unknown;
  method?: string;
  params?: { name?: string; arguments?: Record<string, unknown>; protocolVersion?: string };
}

/** Answers one message; `reply` gets the serialized response (never for notifications). */
function handle(msg: Msg, reply: (s: string) => void): void {
  if (msg.id === undefined || typeof msg.method !== 'string') return; // notification or response
  switch (msg.method) {
    case 'initialize': {
      const v = typeof msg.params?.protocolVersion === 'string' ? msg.params.protocolVersion : '2025-11-25';
      reply(answer(msg.id, JSON.stringify({ protocolVersion: v, capabilities: { tools: {} }, serverInfo: { name: 'bench-mock', version: '1.0.0' } })));
      return;
    }
    case 'ping':
      reply(answer(msg.id, '{}'));
      return;
    case 'tools/list':
      reply(answer(msg.id, JSON.stringify(TOOLS)));
      return;
    case 'tools/call': {
      const args = msg.params?.arguments ?? {};
      if (msg.params?.name === 'blob') {
        const size = Number(args.size);
        if (!Number.isInteger(size) || size < 0 || size > MAX_SIZE) return reply(fail(msg.id, -32602, 'bad size'));
        reply(answer(msg.id, typeof args.seq === 'number' ? seqResult(size, args.seq) : blobResult(size)));
        return;
      }
      if (msg.params?.name === 'sleep') {
        const ms = Math.max(0, Math.min(Number(args.ms) || 0, 600_000));
        setTimeout(() => reply(answer(msg.id, '{"content":[{"type":"text","text":"slept"}]}')), ms);
        return;
      }
      reply(fail(msg.id, -32602, `Unknown tool: ${msg.params?.name}`));
      return;
    }
    default:
      reply(fail(msg.id, -32601, `Method not found: ${msg.method}`));
  }
}

function serveStdio(): void {
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let msg: Msg;
      try {
        msg = JSON.parse(line) as Msg;
      } catch {
        process.stdout.write(fail(null, -32700, 'Parse error') + '\n');
        continue;
      }
      handle(msg, (s) => process.stdout.write(s + '\n'));
    }
  });
  // The client (or the proxy in front) went away: so do we. Never an orphan.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
}

function serveHttp(port: number): void {
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    if (req.method === 'DELETE') return void res.writeHead(200).end();
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let msg: Msg;
      try {
        msg = JSON.parse(Buffer.concat(parts).toString('utf8')) as Msg;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(fail(null, -32700, 'Parse error'));
        return;
      }
      if (msg.id === undefined) return void res.writeHead(202).end();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (msg.method === 'initialize') headers['mcp-session-id'] = randomUUID();
      handle(msg, (s) => res.writeHead(200, headers).end(s));
    });
  });
  server.listen(port, '127.0.0.1', () => {
    const a = server.address();
    process.stdout.write(`mock listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}/mcp\n`);
  });
  // Started by the bench with a stdin pipe: its end means the bench is gone.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  process.on('SIGTERM', () => process.exit(0));
}

const mode = process.argv[2];
if (mode === '--stdio') serveStdio();
else if (mode === '--http') serveHttp(Number(process.argv[3] ?? 0));
else {
  process.stderr.write('usage: mock-server.ts --stdio | --http [PORT]\n');
  process.exit(2);
}
