import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ComposeError, compose, type Stage } from '../../src/pipeline/compose.ts';
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

test('a stage that does not await next() is an error, raised only once the rest of the chain has finished', async () => {
  const seen: string[] = [];
  const careless: Stage<object> = (_c, next) => {
    void next();
  };
  const slow: Stage<object> = async () => {
    await new Promise((r) => setImmediate(r));
    seen.push('inner done');
  };
  await assert.rejects(compose([careless, slow])({}), (e: Error) => e instanceof ComposeError && /must await next/.test(e.message));
  assert.deepEqual(seen, ['inner done']);
});

test('a careless middle stage: the outer (audit) stage sees an error, and only after forward has finished', async () => {
  const seen: string[] = [];
  const audit: Stage<object> = async (_c, next) => {
    try {
      await next();
      seen.push('audit: ok');
    } catch (e) {
      seen.push(`audit: ${(e as Error).name}`);
    }
  };
  const careless: Stage<object> = async (_c, next) => {
    void next();
  };
  const forward: Stage<object> = async () => {
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    seen.push('forward done');
  };
  await compose([audit, careless, forward])({});
  assert.deepEqual(seen, ['forward done', 'audit: ComposeError']);
});

test('a middle stage that throws after starting next() without awaiting it: the error, after the inner stages finish', async () => {
  const seen: string[] = [];
  const audit: Stage<object> = async (_c, next) => {
    await next().catch((e: Error) => seen.push(`audit: ${e.message}`));
  };
  const throws: Stage<object> = (_c, next) => {
    void next();
    throw new Error('boom');
  };
  const forward: Stage<object> = async () => {
    await new Promise((r) => setImmediate(r));
    seen.push('forward done');
  };
  await compose([audit, throws, forward])({});
  assert.deepEqual(seen, ['forward done', 'audit: boom']);
});

test('next() called after its stage finished runs nothing and is an error', async () => {
  let reached = false;
  const late = Promise.withResolvers<{ p: Promise<void> }>();
  const escapes: Stage<object> = (_c, next) => {
    setImmediate(() => late.resolve({ p: next() }));
  };
  await compose([escapes, async () => void (reached = true)])({});
  await assert.rejects((await late.promise).p, ComposeError);
  assert.equal(reached, false);
});

test('stages that await, return next() or deny without calling it are fine', async () => {
  const returns: Stage<object> = (_c, next) => next();
  const denies: Stage<object> = async () => undefined;
  const catches: Stage<object> = async (_c, next) => {
    await next().catch(() => undefined);
  };
  await compose([returns, catches, async () => { throw new Error('x'); }])({});
  await compose([returns, denies, async () => assert.fail('not reached')])({});
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
  assert.deepEqual(REQUEST_STAGES.map((s) => s.name), ['auditCall', 'validateMessage', 'authenticate', 'revocation', 'answerLocally', 'route', 'methodAllowlist', 'lockdown', 'authorize', 'throttle', 'validateArguments', 'inspectArguments', 'constrainArguments', 'requireApproval', 'forward']);
  assert.deepEqual(RESPONSE_STAGES.map((s) => s.name), ['validateResult', 'inspectResult', 'bindTasks']);
});
