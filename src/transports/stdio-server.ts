/**
 * The client side of `portcullis wrap`: MCP over our own stdin/stdout. stdout carries only
 * protocol messages; everything else goes to stderr. Lines over `maxMessageSize` are refused
 * before they are parsed (or even kept in memory); the refusal carries the request's id, read
 * from the line's first and last bytes (protocol/frame-id.ts), so the client's call ends at once.
 */
import { GatewayError } from '../errors.ts';
import { frameId, ID_PREFIX_BYTES, ID_SUFFIX_BYTES } from '../protocol/frame-id.ts';
import { Gateway } from '../gateway/gateway.ts';
import { Session } from '../gateway/session.ts';
import { LineSplitter } from '../upstream/line-splitter.ts';
import { WriteBatcher } from '../util/write-batcher.ts';

const NEWLINE = Buffer.from('\n');

export function serveStdio(gw: Gateway, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<void> {
  const out = new WriteBatcher(output);
  const session = new Session({
    principal: Gateway.stdioPrincipalFor(gw),
    connection: `stdio:${process.pid}`,
    send: (message) => {
      // Batched per tick into one writev; a spliced result is written without copying it.
      if (typeof message === 'string') {
        out.write(message + '\n');
      } else {
        // Buffers only: the batch's writev takes them as they are (a string among them makes
        // Node build a chunk/encoding list for the whole batch).
        out.write(message);
        out.write(NEWLINE);
      }
    },
  });
  gw.openSession(session);
  const max = gw.config.mcp.security.validation.maxMessageSize;
  const splitter = new LineSplitter(
    max,
    (line) => void gw.handleBytes(session, line),
    (n, tail, head) => {
      const e = new GatewayError('MESSAGE_TOO_LARGE', `Message of ${n} bytes exceeds the limit of ${max}`);
      const id = frameId(head, tail);
      gw.audit.emit({ event: 'schema_validation_failed', session: session.id, connection: session.connection, requestId: id ?? undefined, decision: 'deny', reason: e.message, code: e.code });
      session.send(JSON.stringify({ jsonrpc: '2.0', id, error: e.toJsonRpcError() }));
    },
    undefined,
    { head: ID_PREFIX_BYTES, tail: ID_SUFFIX_BYTES },
  );
  return new Promise<void>((resolve) => {
    input.on('data', (c: Buffer) => splitter.push(c));
    input.on('end', () => resolve());
    input.on('close', () => resolve());
  }).then(() => gw.closeSession(session, 'stdin closed'));
}
