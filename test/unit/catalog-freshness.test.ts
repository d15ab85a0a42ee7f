/**
 * A cached list is never one the server did not have. Two races that once left a gateway with an
 * empty tool list ("Unknown tool: echo") until the server changed its tools again:
 *
 * - a `notifications/tools/list_changed` that arrives before the server's initialize finished
 *   (server-everything over HTTP sends it on its GET stream while the gateway's
 *   `notifications/initialized` POST is still open) made the pin check fetch the list of a server
 *   with no capabilities yet, and cache `[]`;
 * - a list fetched across a change was cached after the change.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Catalog } from '../../src/gateway/catalog.ts';
import { HttpTransport } from '../../src/upstream/http-transport.ts';
import { Upstream } from '../../src/upstream/upstream.ts';
import { fakeUpstream } from '../helpers/fake-services.ts';
import { startEverythingHttp, type RunningChild } from '../helpers/gateway-process.ts';

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'catalog-test', version: '1' } };
const children: RunningChild[] = [];
after(async () => {
  for (const c of children) await c.stop();
});

test('a list asked for while the server starts is refused, not cached empty; once ready it is the real one', async () => {
  const server = await startEverythingHttp();
  children.push(server);
  const upstream = new Upstream('everything', () => new HttpTransport({ url: server.url, maxMessageBytes: 4 << 20, connectTimeoutMs: 10_000 }), {
    maxMessageBytes: 4 << 20,
    sessionOnly: true,
    events: {},
  });
  const catalog = new Catalog(upstream, 30_000);
  const starting = upstream.ensureReady(INIT, 30_000);
  assert.equal(upstream.state, 'starting');
  await assert.rejects(catalog.getTools(), (err: { code?: string }) => err.code === 'UPSTREAM_UNAVAILABLE');
  await assert.rejects(catalog.getList('prompts'), (err: { code?: string }) => err.code === 'UPSTREAM_UNAVAILABLE');
  await starting;
  assert.ok((await catalog.getTools()).has('echo'), 'the list of the started server');
  assert.ok((await catalog.getList('prompts')).length > 0);
  await upstream.close();
});

test('a list that changed while it was fetched is fetched again, and only the new one is cached', async () => {
  let version = 1;
  let release: (() => void) | undefined;
  const up = fakeUpstream(async (method) => {
    const seen = version;
    if (seen === 1) await new Promise<void>((r) => (release = r));
    return method === 'tools/list' ? { result: { tools: [{ name: `v${seen}`, inputSchema: { type: 'object' } }] } } : { result: {} };
  });
  const catalog = new Catalog(up as unknown as ConstructorParameters<typeof Catalog>[0], 1000);
  const first = catalog.getTools();
  while (!release) await new Promise((r) => setImmediate(r));
  version = 2;
  catalog.invalidate('tools'); // the list_changed overtook the answer
  release();
  assert.deepEqual([...(await first).keys()], ['v2'], 'the caller gets the list after the change');
  assert.deepEqual([...(await catalog.getTools()).keys()], ['v2'], 'and that is what is cached');
  assert.equal(up.calls.filter((c) => c.method === 'tools/list').length, 2);
});
