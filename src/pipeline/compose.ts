/**
 * A paranoid composer for security stages: `(ctx, next) => Promise<void>`.
 *
 * The onion order is what makes the chain safe: a stage's code after `await next()` (the audit
 * record, the response checks) must run only once everything inside it has finished. So:
 *
 * - `next()` called twice is an error: it could run a call twice or skip a check on the second pass.
 * - A stage that resolves (or throws) before the `next()` it started has settled is an error: an
 *   outer stage would otherwise go on while `forward` is still running (the audit record written
 *   before the answer exists). The error is raised only once that inner `next()` has settled, so
 *   the outer stages still never overtake the inner ones; what they see is the error, not success.
 * - `next()` called after its stage finished (from a timer, say) is an error and runs nothing: the
 *   rest of the chain would run with no outer stage around it.
 */
/**
 * A stage with nothing to do once the rest has run returns `next()` rather than awaiting it in an
 * async function: the answer then comes back through one microtask less per stage (on every
 * request, both ways), and the checks above still hold (its promise is the inner one).
 */
export type Stage<C> = (ctx: C, next: () => Promise<void>) => Promise<void> | void;

export class ComposeError extends Error {
  override name = 'ComposeError';
}

const nameOf = (s: { name: string }, i: number): string => s.name || `#${i}`;

export function compose<C>(stages: readonly Stage<C>[]): (ctx: C) => Promise<void> {
  for (const s of stages) if (typeof s !== 'function') throw new TypeError('every stage must be a function');
  return function run(ctx: C): Promise<void> {
    let index = -1;
    // settled[i]: dispatch(i) has finished (set in its `finally`, before its promise settles and so
    // before any stage awaiting it resumes). A flag per call, not a `.then` per stage: no extra
    // promise, closure or microtask for each of the chain's stages on every request.
    const settled: boolean[] = [];
    const dispatch = async (i: number): Promise<void> => {
      if (i <= index) throw new ComposeError('next() called more than once');
      index = i;
      try {
        const stage = stages[i];
        if (!stage) return;
        let inner: Promise<void> | undefined;
        let finished = false;
        const next = (): Promise<void> => {
          if (inner) return Promise.reject(new ComposeError('next() called more than once'));
          if (finished) return Promise.reject(new ComposeError(`stage ${nameOf(stage, i)} called next() after it had finished`));
          inner = dispatch(i + 1);
          return inner;
        };
        try {
          await stage(ctx, next);
        } catch (err) {
          finished = true;
          if (inner && !settled[i + 1]) await inner.catch(() => undefined);
          throw err;
        }
        finished = true;
        if (inner && !settled[i + 1]) {
          await inner.catch(() => undefined);
          throw new ComposeError(`stage ${nameOf(stage, i)} finished before the next() it called (it must await next())`);
        }
      } finally {
        settled[i] = true;
      }
    };
    return dispatch(0);
  };
}
