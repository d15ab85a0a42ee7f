/**
 * readRequestBody over a real socket: a body within the limit is returned whole; one over it
 * keeps only its edges; one declared far beyond the limit is answered from its first bytes
 * without waiting for (or keeping) the rest.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { frameId } from '../../src/protocol/frame-id.ts';
import { DRAIN_BYTES, readRequestBody, type ReadBody } from '../../src/transports/read-body.ts';

const MAX = 8192;
let server: Server;
let port: number;
let last: ReadBody | undefined;

before(async () => {
  server = createServer((req, res) => {
    void readRequestBody(req, MAX).then((r) => {
      last = r;
      res.end('body' in r ? 'body' : `over ${JSON.stringify(frameId(r.head, r.tail))}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

function post(chunks: string[], headers: Record<string, string> = {}, keepOpen = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ port, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        resolve(text);
        req.destroy();
      });
    });
    req.on('error', (e) => (keepOpen ? undefined : reject(e)));
    for (const c of chunks) req.write(c);
    if (!keepOpen) req.end();
  });
}

test('within the limit: the whole body', async () => {
  assert.equal(await post(['{"id":1}']), 'body');
  assert.deepEqual(last, { body: Buffer.from('{"id":1}') });
});

test('over the limit: the edges only, and the id from them', async () => {
  const pad = 'x'.repeat(MAX * 3);
  assert.equal(await post([`{"method":"m","params":{"p":"${pad}"},"jsonrpc":"2.0","id":"last"}`]), 'over "last"');
  const r = last as { head: Buffer; tail: Buffer };
  assert.ok(r.head.length <= 4096 && r.tail.length <= 512);
  assert.equal(await post([`{"id":7,"p":"`, pad, '"}']), 'over 7');
});

test('declared far beyond the limit: answered from the first bytes, the rest never awaited', async () => {
  const declared = String(MAX + DRAIN_BYTES + 1);
  // Only 5 KB of the declared body is ever sent: an answer proves the gateway did not wait for it.
  const answer = await post([`{"jsonrpc":"2.0","id":42,"params":{"p":"${'y'.repeat(5000)}`], { 'content-length': declared, 'content-type': 'application/json' }, true);
  assert.equal(answer, 'over 42');
  assert.equal((last as { tail?: Buffer }).tail, undefined);
});
