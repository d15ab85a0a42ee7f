/**
 * The result schema stage on its own: what a server writes into its result never chooses which
 * checks apply. A `task` is a result only for a request that asked for one; a `resultType` (2026
 * only) is dropped whatever the validation mode.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { validateResult } from '../../src/checks/validate-result.ts';
import type { GatewayError } from '../../src/errors.ts';
import { callContext } from '../helpers/call-context.ts';

const context = (result: Record<string, unknown>, params?: Record<string, unknown>, schemaValidation = 'strict') =>
  callContext({ mcp: { security: { validation: { schemaValidation } } }, result, params });
const next = async () => {};
const task = { taskId: 't-1', status: 'working', createdAt: '2025-11-25T00:00:00Z', lastUpdatedAt: '2025-11-25T00:00:01Z', ttl: 60000 };
const invalid = (e: GatewayError) => e.code === 'RESULT_INVALID';

test('a task handle answers a request that asked for one, and is checked as CreateTaskResult', async () => {
  const asked = { name: 't', arguments: {}, task: { ttl: 60000 } };
  await validateResult(context({ task }, asked).ctx, next);
  await assert.rejects(async () => validateResult(context({ task: { taskId: 1 } }, asked).ctx, next), invalid);
});

test('a task in the result of a request that asked for none: refused (strict), audited (warn)', async () => {
  await assert.rejects(async () => validateResult(context({ content: [], task }).ctx, next), invalid);
  await assert.rejects(async () => validateResult(context({ content: [], task: null }).ctx, next), invalid);
  const warn = context({ content: [], task }, undefined, 'warn');
  await validateResult(warn.ctx, next);
  assert.match(String(warn.events[0]?.reason), /asked for none/);
});

test('a server\'s resultType is dropped, in every mode; the rest of the result stays', async () => {
  for (const mode of ['strict', 'warn', 'off']) {
    const result = { resultType: 'input_required', content: [{ type: 'text', text: 'x' }] };
    const { ctx } = context(result, undefined, mode);
    await validateResult(ctx, next);
    assert.deepEqual(ctx.response!.result, { content: [{ type: 'text', text: 'x' }] }, mode);
    assert.equal(ctx.resultChanged, true);
    assert.equal(result.resultType, 'input_required', 'the server\'s object is not mutated');
  }
});
