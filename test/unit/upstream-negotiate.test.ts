/**
 * The pieces of per-upstream negotiation that need no server: reading a `server/discover` answer,
 * the 2026-07-28 envelope and routing headers, newline-delimited JSON bodies, and the gateway's
 * own questions to a client (the end-to-end proof is test/e2e/upstream-negotiation.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { relayedErrorStatus } from '../../src/errors.ts';
import { jsonMessages, routeHeaders } from '../../src/upstream/http-transport.ts';
import { LocalAsks } from '../../src/upstream/local-asks.ts';
import { envelopeFrom, readDiscover, routeOf, withEnvelope } from '../../src/upstream/negotiate.ts';

const PV = 'io.modelcontextprotocol/protocolVersion';
const CAPS = 'io.modelcontextprotocol/clientCapabilities';

describe('readDiscover: which servers are spoken to in 2026-07-28', () => {
  const ok = { supportedVersions: ['2026-07-28'], capabilities: { tools: {} }, _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'srv', version: '2' } }, instructions: 'hi' };
  test('a server listing 2026-07-28: its capabilities, identity from the result _meta, instructions', () => {
    const d = readDiscover({ jsonrpc: '2.0', id: 1, result: ok }, 'fallback');
    assert.deepEqual(d, { protocolVersion: '2026-07-28', capabilities: { tools: {} }, serverInfo: { name: 'srv', version: '2' }, instructions: 'hi' });
  });
  test('a server without serverInfo is named for its configuration', () => {
    const d = readDiscover({ jsonrpc: '2.0', id: 1, result: { supportedVersions: ['2026-07-28'], capabilities: {} } }, 'cfg-name');
    assert.deepEqual(d?.serverInfo, { name: 'cfg-name', version: '' });
  });
  test('an error, another version only, or a malformed result: a 2025 server', () => {
    assert.equal(readDiscover({ jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } }, 'x'), undefined);
    assert.equal(readDiscover({ jsonrpc: '2.0', id: 1, result: { ...ok, supportedVersions: ['2027-01-01'] } }, 'x'), undefined);
    assert.equal(readDiscover({ jsonrpc: '2.0', id: 1, result: { ...ok, supportedVersions: '2026-07-28' } }, 'x'), undefined);
    assert.equal(readDiscover({ jsonrpc: '2.0', id: 1, result: { supportedVersions: ['2026-07-28'], capabilities: [] } }, 'x'), undefined);
  });
});

describe('the 2026-07-28 envelope', () => {
  const env = envelopeFrom({ protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'portcullis', version: '0.1.0' } });
  test("the gateway's identity, the caller's capabilities and log level; the caller's own envelope keys replaced", () => {
    const p = withEnvelope({ name: 't', _meta: { progressToken: 7, [PV]: '1999-01-01', 'io.modelcontextprotocol/logLevel': 'debug' } }, env, { clientCapabilities: { elicitation: {} }, logLevel: 'warning' });
    assert.deepEqual(p, {
      name: 't',
      _meta: { progressToken: 7, [PV]: '2026-07-28', [CAPS]: { elicitation: {} }, 'io.modelcontextprotocol/clientInfo': { name: 'portcullis', version: '0.1.0' }, 'io.modelcontextprotocol/logLevel': 'warning' },
    });
  });
  test('no caller: the gateway capabilities, and no log level (so no log messages)', () => {
    const p = withEnvelope(undefined, env);
    assert.deepEqual((p._meta as Record<string, unknown>)[CAPS], { sampling: {} });
    assert.equal('io.modelcontextprotocol/logLevel' in (p._meta as object), false);
  });
  test('Mcp-Method and Mcp-Name only on 2026-07-28; a name that is not plain ASCII is base64', () => {
    assert.deepEqual(routeHeaders('2025-11-25', routeOf('tools/call', { name: 'echo' })), {});
    assert.deepEqual(routeHeaders('2026-07-28', routeOf('tools/call', { name: 'echo' })), { 'mcp-method': 'tools/call', 'mcp-name': 'echo' });
    assert.deepEqual(routeHeaders('2026-07-28', routeOf('resources/read', { uri: 'file:///é' })), { 'mcp-method': 'resources/read', 'mcp-name': `=?base64?${Buffer.from('file:///é').toString('base64')}?=` });
    assert.deepEqual(routeHeaders('2026-07-28', routeOf('tools/list', {})), { 'mcp-method': 'tools/list' });
    assert.equal(routeHeaders('2026-07-28', routeOf('tools/call', { name: '=?base64?eA==?=' }))['mcp-name'], `=?base64?${Buffer.from('=?base64?eA==?=').toString('base64')}?=`);
  });
});

describe('jsonMessages: application/json bodies', () => {
  test('one value (with or without a final newline) is one message, as received', () => {
    const b = Buffer.from('{"jsonrpc":"2.0","id":1,"result":{}}\n');
    assert.deepEqual(jsonMessages(b), [b]);
    assert.deepEqual(jsonMessages(Buffer.alloc(0)), []);
  });
  test('newline-delimited JSON is one message a line', () => {
    const out = jsonMessages(Buffer.from('{"jsonrpc":"2.0","method":"notifications/progress"}\n\n{"jsonrpc":"2.0","id":1,"result":{}}'));
    assert.deepEqual(out.map(String), ['{"jsonrpc":"2.0","method":"notifications/progress"}', '{"jsonrpc":"2.0","id":1,"result":{}}']);
  });
  test('pretty-printed JSON stays whole (its lines are not JSON)', () => {
    const b = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, result: { a: 1 } }, null, 2));
    assert.deepEqual(jsonMessages(b), [b]);
  });
});

describe("LocalAsks: the gateway's questions to a client", () => {
  test('an answer under our id settles it and never goes to the server; other messages are not ours', async () => {
    const asks = new LocalAsks();
    const { id, answer } = asks.open(60_000);
    assert.equal(asks.settle({ jsonrpc: '2.0', id: 5, result: {} }), false);
    assert.equal(asks.settle({ jsonrpc: '2.0', id, method: 'x' }), false);
    assert.equal(asks.settle({ jsonrpc: '2.0', id, result: { action: 'accept' } }), true);
    assert.deepEqual((await answer).result, { action: 'accept' });
    assert.equal(asks.settle({ jsonrpc: '2.0', id, result: {} }), true, 'a late answer is still ours, dropped');
  });
  test('a timeout or a server going down answers with an error', async () => {
    const asks = new LocalAsks();
    assert.match((await asks.open(1).answer).error!.message, /did not answer/);
    const { answer } = asks.open(60_000);
    asks.failAll('gone');
    assert.equal((await answer).error!.message, 'gone');
  });
});

test('a server error relayed to a 2026 caller keeps its 2026-07-28 status; others carry none', () => {
  assert.equal(relayedErrorStatus(-32601)?.code, 'METHOD_NOT_FOUND');
  assert.equal(relayedErrorStatus(-32602), undefined);
  assert.equal(relayedErrorStatus(-32021)?.code, 'MISSING_CLIENT_CAPABILITY');
  assert.equal(relayedErrorStatus(-32603), undefined);
  assert.equal(relayedErrorStatus(-32000), undefined);
});
