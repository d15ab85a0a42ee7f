/**
 * The method list `validation.allowedMethods` may name is exactly what the SDKs' registries
 * define (so a method a revision adds cannot be missing unnoticed), and the allowlist decision.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as core from '@modelcontextprotocol/core';
import * as v1 from '@modelcontextprotocol/sdk/types.js';
import { methodAllowed } from '../../src/checks/allowed-methods.ts';
import { configSchema } from '../../src/config/schema.ts';
import { CLIENT_REQUEST_METHODS, SERVER_REQUEST_METHODS } from '../../src/protocol/methods.ts';

const methods = (union: unknown) => (union as { options: { shape: { method: { value: string } } }[] }).options.map((o) => o.shape.method.value);

test('the request methods are the union of the v1 and v2 SDK registries, per direction', () => {
  assert.deepEqual([...CLIENT_REQUEST_METHODS].sort(), [...new Set([...methods(v1.ClientRequestSchema), ...methods(core.ClientRequestSchema)])].sort());
  assert.deepEqual([...SERVER_REQUEST_METHODS].sort(), [...new Set([...methods(v1.ServerRequestSchema), ...methods((core as unknown as { ServerRequestSchema: unknown }).ServerRequestSchema)])].sort());
});

test('unset allows everything; a list allows what it names plus the lifecycle', () => {
  const v = (allowedMethods?: string[]) => configSchema.parse({ mcp: { security: { validation: { allowedMethods } } } }).mcp.security.validation;
  assert.equal(methodAllowed(v(), 'completion/complete'), true);
  const list = v(['tools/call']);
  assert.equal(methodAllowed(list, 'tools/call'), true);
  assert.equal(methodAllowed(list, 'completion/complete'), false);
  assert.equal(methodAllowed(list, 'sampling/createMessage'), false);
  for (const m of ['initialize', 'ping', 'server/discover']) assert.equal(methodAllowed(list, m), true, m);
  assert.equal(methodAllowed(v([]), 'tools/list'), false, 'an empty list allows only the lifecycle');
});

test('a name that is not an MCP request method is a configuration error (a typo must not pass silently)', () => {
  const r = configSchema.safeParse({ mcp: { security: { validation: { allowedMethods: ['tools/call', 'initialized'] } } } });
  assert.equal(r.success, false);
  assert.deepEqual(r.error!.issues[0].path, ['mcp', 'security', 'validation', 'allowedMethods', 1]);
});
