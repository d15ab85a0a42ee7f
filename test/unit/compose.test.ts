import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compose, type Stage } from '../../src/pipeline/compose.ts';
import { REQUEST_STAGES, RESPONSE_STAGES } from '../../src/pipeline/chain.ts';

test('stages run in order, onion-style', async () => {
  const seen: string[] = [];
  const mk = (n: string): Stage<object> => async (_c, next) => {
    seen.push(`>${n}`);
    await next();
    seen.push(`<${n}`);
  };
  await compose([mk('a'), mk('b'), mk('c')])({});
  assert.deepEqual(seen, ['>a', '>b', '>c', '<c', '<b', '<a']);
});

test('next() called twice is an error, not a second run of the rest of the chain', async () => {
  let inner = 0;
  const twice: Stage<object> = async (_c, next) => {
    await next();
    await next();
  };
  await assert.rejects(compose([twice, async () => void inner++])({}), /more than once/);
  assert.equal(inner, 1);
});

test('a stage that does not await next() still has the rest of the chain finish before compose resolves', async () => {
  const seen: string[] = [];
  const careless: Stage<object> = (_c, next) => {
    void next();
  };
  const slow: Stage<object> = async () => {
    await new Promise((r) => setImmediate(r));
    seen.push('inner done');
  };
  await compose([careless, slow])({});
  assert.deepEqual(seen, ['inner done']);
});

test('a stage that throws stops the chain', async () => {
  let reached = false;
  await assert.rejects(
    compose<object>([async () => { throw new Error('denied'); }, async () => { reached = true; }])({}),
    /denied/,
  );
  assert.equal(reached, false);
});

test('the fixed order is the documented one', () => {
  assert.deepEqual(REQUEST_STAGES.map((s) => s.name), ['auditCall', 'validateMessage', 'authenticate', 'revocation', 'answerLocally', 'route', 'methodAllowlist', 'lockdown', 'authorize', 'throttle', 'validateArguments', 'inspectArguments', 'constrainArguments', 'forward']);
  assert.deepEqual(RESPONSE_STAGES.map((s) => s.name), ['validateResult', 'inspectResult']);
});
