/**
 * One CallChecker (Portcullis's embedded guard over a probe, see portcullis src/embed/call-checker.ts)
 * per configuration, server and tool list, kept for the life of the n8n process: rate limits and
 * session flow rules count across executions, as they do in a running gateway. A configuration
 * file that changes on disk gets a new checker (the old one is closed).
 */
import { statSync } from 'node:fs';
import { loadPortcullis, type CallChecker, type ToolDefinition } from './portcullis';

const MAX_CHECKERS = 32;
const checkers = new Map<string, Promise<CallChecker>>();

function keyOf(file: string, server: string, tools: ToolDefinition[] | undefined): string {
  let mtime = 0;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    // Guard.fromConfig reports a missing file with its path.
  }
  return JSON.stringify([file, mtime, server, tools ?? null]);
}

export async function checkerFor(file: string, server: string, tools: ToolDefinition[] | undefined): Promise<CallChecker> {
  const key = keyOf(file, server, tools);
  let c = checkers.get(key);
  if (!c) {
    for (const [k, old] of checkers) {
      const [f, , s] = JSON.parse(k) as [string, number, string];
      if ((f === file && s === server) || checkers.size >= MAX_CHECKERS) {
        checkers.delete(k);
        void old.then((o) => o.close()).catch(() => {});
      }
    }
    const { CallChecker } = await loadPortcullis();
    c = CallChecker.fromConfig(file, { server, ...(tools && { tools }) });
    checkers.set(key, c);
    c.catch(() => checkers.delete(key));
  }
  return c;
}

/** For tests and shutdown: closes every checker. */
export async function closeCheckers(): Promise<void> {
  const all = [...checkers.values()];
  checkers.clear();
  await Promise.all(all.map((c) => c.then((x) => x.close()).catch(() => {})));
}
