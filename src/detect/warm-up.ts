/**
 * Compiles every detector once, now: the RE2 sets of the injection, DLP and poisoning rules and
 * the model's weights are built on first use, which takes hundreds of milliseconds of synchronous
 * work (seconds on a loaded machine). On shared state that must not happen in the middle of
 * traffic: while the event loop is blocked, the answers to Redis commands already sent wait in the
 * socket, their timers fire first, and calls are refused (STATE_UNAVAILABLE) that Redis answered in
 * time. `portcullis run` with `mcp.state.url` calls this before it listens.
 */
import { scanDlp } from './dlp.ts';
import { scoreInjection } from './injection-score.ts';
import { scanDefinition } from './poisoning.ts';

const SAMPLE = 'Warm-up text: please read the file and summarize it for the user, then stop.';

export async function warmUpDetectors(useModel: boolean): Promise<void> {
  scoreInjection(SAMPLE.repeat(4), '$', undefined, useModel);
  scanDefinition('tool', { name: 'warm_up', description: SAMPLE }, { server: 'warm-up', otherTools: new Set() });
  await scanDlp([{ text: SAMPLE, path: '$' }]);
}
