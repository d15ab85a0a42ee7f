import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { exchange } from '../../src/upstream/http-exchange.ts';

describe('http-exchange: one upstream exchange over the dispatcher', () => {
  let server: Server;
  let origin: string;
  const agent = new Agent({ connections: 4 });
  const closed: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      req.on('close', () => closed.push(req.url ?? ''));
      if (req.url === '/json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
      if (req.url === '/chunks') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"a":"');
        res.write('x'.repeat(5000));
        return void setTimeout(() => res.end('"}'), 10);
      }
      if (req.url === '/big') return void res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(100_000));
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"one":1}\n\n');
        return void setTimeout(() => res.end('data: {"two":2}\n\n'), 10);
      }
      if (req.url === '/endless') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {}\n\n');
        return; // never ends: the client must be able to drop it
      }
      if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end('{}'), 2000);
      if (req.url === '/echo') {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        return void req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'x-method': req.method ?? '' }).end(Buffer.concat(parts)));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    origin = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  after(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const call = (path: string, o: { signal?: AbortSignal; max?: number; body?: string } = {}) =>
    exchange(agent, { method: o.body === undefined ? 'GET' : 'POST', origin, path, headers: { 'content-type': 'application/json' }, body: o.body, signal: o.signal, max: o.max ?? 65536 });

  it('a JSON answer comes whole, in one buffer, with its status and headers', async () => {
    const r = await call('/json');
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.stream, undefined);
    assert.equal(r.body?.toString(), '{"jsonrpc":"2.0","id":1,"result":{}}');
    const chunked = await call('/chunks');
    assert.equal(chunked.body?.toString(), `{"a":"${'x'.repeat(5000)}"}`);
  });

  it('the request body and method go out as given', async () => {
    const r = await call('/echo', { body: '{"jsonrpc":"2.0","id":7,"method":"ping"}' });
    assert.equal(r.headers['x-method'], 'POST');
    assert.equal(r.body?.toString(), '{"jsonrpc":"2.0","id":7,"method":"ping"}');
  });

  it('a body over the cap is null, and the exchange is cut', async () => {
    const r = await call('/big', { max: 1000 });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, null);
  });

  it('an SSE answer is a stream that yields the events as they come, then ends', async () => {
    const r = await call('/sse');
    assert.ok(r.stream);
    assert.equal(r.body, undefined);
    let text = '';
    for await (const c of r.stream) text += String(c);
    assert.equal(text, 'data: {"one":1}\n\ndata: {"two":2}\n\n');
  });

  it('destroying a stream drops the connection; aborting the signal ends a stream or a pending exchange', async () => {
    const r = await call('/endless');
    for await (const _ of r.stream!) break; // the for-await break destroys the stream
    for (let i = 0; i < 100 && !closed.includes('/endless'); i++) await new Promise((res) => setTimeout(res, 10));
    assert.ok(closed.includes('/endless'), 'the server saw the connection go');

    const ac = new AbortController();
    const s = await call('/endless', { signal: ac.signal });
    const reading = (async () => {
      for await (const _ of s.stream!);
    })();
    ac.abort();
    await assert.rejects(reading);

    const early = new AbortController();
    const pending = call('/slow', { signal: early.signal });
    early.abort();
    await assert.rejects(pending, { name: 'AbortError' });

    const already = new AbortController();
    already.abort();
    await assert.rejects(call('/json', { signal: already.signal }), { name: 'AbortError' });
  });

  it('a refused connection rejects', async () => {
    await assert.rejects(exchange(agent, { method: 'GET', origin: 'http://127.0.0.1:1', path: '/', headers: {}, max: 10 }));
  });
});
