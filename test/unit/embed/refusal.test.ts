import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ProtocolError } from '@modelcontextprotocol/client';
import { refusalOf } from '../../../src/embed/refusal.ts';
import { GatewayError } from '../../../src/errors.ts';

describe('refusalOf', () => {
  test('a v1 McpError and a v2 ProtocolError carrying our wire error become the GatewayError', () => {
    const wire = new GatewayError('POLICY_DENIED', 'Invalid params', { data: { retryAfterSeconds: 3 } }).toJsonRpcError();
    for (const err of [new McpError(wire.code, wire.message, wire.data), new ProtocolError(wire.code, wire.message, wire.data)]) {
      const r = refusalOf(err);
      assert.ok(r instanceof GatewayError);
      assert.equal(r.code, 'POLICY_DENIED');
      assert.equal(r.rpcCode, -32602);
      assert.equal(r.message, 'Invalid params');
      assert.deepEqual(r.data, { retryAfterSeconds: 3 });
    }
  });

  test("a server's own error, a reason that is not ours, or a code that does not match is not a refusal", () => {
    assert.equal(refusalOf(new McpError(-32602, 'bad', undefined)), undefined);
    assert.equal(refusalOf(new McpError(-32602, 'bad', { reason: 'SOMETHING_ELSE' })), undefined);
    assert.equal(refusalOf(new McpError(-32000, 'bad', { reason: 'POLICY_DENIED' })), undefined);
    assert.equal(refusalOf(new Error('socket hang up')), undefined);
    assert.equal(refusalOf(null), undefined);
  });
});
