/**
 * A paranoid composer for security stages: `(ctx, next) => Promise<void>`.
 *
 * A stage that calls `next()` twice is a bug that could run a call twice or skip a check on the
 * second pass: it throws. A stage that resolves without awaiting the `next()` it started would let
 * the rest of the chain run after the outer stages (audit!) have finished: the composer awaits
 * every started `next()` before it resolves, and reports a stage that forgot to.
 */
export type Stage<C> = (ctx: C, next: () => Promise<void>) => Promise<void> | void;

export function compose<C>(stages: readonly Stage<C>[]): (ctx: C) => Promise<void> {
  for (const s of stages) if (typeof s !== 'function') throw new TypeError('every stage must be a function');
  return async function run(ctx: C): Promise<void> {
    let index = -1;
    const started: Promise<void>[] = [];
    const dispatch = (i: number): Promise<void> => {
      if (i <= index) return Promise.reject(new Error('next() called more than once'));
      index = i;
      const stage = stages[i];
      if (!stage) return Promise.resolve();
      try {
        const p = Promise.resolve(stage(ctx, () => {
          const n = dispatch(i + 1);
          started[i + 1] = n;
          return n;
        }));
        return p;
      } catch (err) {
        return Promise.reject(err);
      }
    };
    await dispatch(0);
    // A stage that did not await its next(): wait for the rest of the chain before resolving.
    for (const p of started) if (p) await p;
  };
}
