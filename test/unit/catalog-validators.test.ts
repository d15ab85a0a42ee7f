/**
 * Tool schema validators are freed with the tools list they belong to. A real Catalog over a real
 * upstream (server-everything over stdio): 10,000 list changes, each followed by a call's
 * validation, leave the shared Ajv engines holding a bounded number of compiled schemas (before:
 * one more per list, without end). No timing, only a bound on entries.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Catalog } from '../../src/gateway/catalog.ts';
import { compiledSchemaCount, ValidatorGeneration } from '../../src/gateway/schema-validators.ts';
import { StdioTransport, scrubbedEnv } from '../../src/upstream/stdio-transport.ts';
import { Upstream } from '../../src/upstream/upstream.ts';
import { EVERYTHING, NODE } from '../helpers/gateway-process.ts';

const ROUNDS = 10_000;
let upstream: Upstream;

before(async () => {
  upstream = new Upstream('everything', () => new StdioTransport({ command: NODE, args: [EVERYTHING, 'stdio'], env: scrubbedEnv({}), maxMessageBytes: 4 * 1024 * 1024, onStderr: () => {} }), {
    maxMessageBytes: 4 * 1024 * 1024,
    events: {},
  });
  await upstream.ensureReady({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'catalog-test', version: '1' } }, 60_000);
});
after(async () => {
  await upstream?.close();
});

test(`${ROUNDS} tools/list changes leave a bounded number of compiled schemas`, async () => {
  const catalog = new Catalog(upstream, 60_000);
  const first = (await catalog.getTools()).get('echo')!;
  assert.equal(first.input()({ message: 'x' }), true);
  const baseline = compiledSchemaCount();
  for (let i = 0; i < ROUNDS; i++) {
    catalog.invalidate('tools'); // what notifications/tools/list_changed does
    const echo = (await catalog.getTools()).get('echo')!;
    assert.equal(echo.input()({ message: 'x' }), true);
    assert.equal(echo.input()({ message: 1 }), false);
  }
  assert.ok(compiledSchemaCount() <= baseline + 2, `compiled schemas: ${baseline} before, ${compiledSchemaCount()} after ${ROUNDS} lists`);
  // A validator handed out before its list was replaced still validates.
  assert.equal(first.input()({ message: 1 }), false);
});

test('a validator compiled for a retired list (a call that raced the change) is not kept either', () => {
  const gen = new ValidatorGeneration();
  const before = compiledSchemaCount();
  gen.retire();
  const v = gen.compile({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, 'inputSchema');
  assert.equal(v({ a: 'x' }), true);
  assert.equal(v({}), false);
  assert.equal(compiledSchemaCount(), before);
  const broken = new ValidatorGeneration().compile({ type: 'object', properties: { a: { type: 12 } } }, 'inputSchema');
  assert.equal(broken({ a: 'x' }), false, 'a schema that does not compile refuses everything');
  assert.equal(compiledSchemaCount(), before);
});
