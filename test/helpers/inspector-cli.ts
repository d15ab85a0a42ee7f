/**
 * The MCP Inspector CLI as a client (`mcp-inspector --cli`): an independent client implementation
 * driving the gateway, as a stdio command (`portcullis wrap`) or a Streamable HTTP URL. It prints
 * `{"result":...}` on stdout and exits non-zero on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { NODE, ROOT, stopProcess } from './gateway-process.ts';

const INSPECTOR = join(ROOT, 'node_modules', '.bin', 'mcp-inspector');


export interface InspectorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The parsed `{"result":...}` line, when there is one. */
  result?: Record<string, unknown>;
  /** The parsed `{"error":...}` envelope on stderr, when there is one. */
  error?: { code?: string; message?: string };
}

const running = new Set<ChildProcess>();

/** Run the Inspector CLI once (argv array, Node 24 first on PATH) and collect what it printed. */
export function inspector(args: string[]): Promise<InspectorRun> {
  // The Inspector's own connect timeout is 15 s; a `portcullis wrap` started on a loaded 2-core
  // machine (CI, other work) can take longer than that to answer initialize. No timing is asserted.
  const child = spawn(INSPECTOR, ['--cli', '--format', 'json', '-q', '--connect-timeout', '90000', ...args], {
    env: { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      running.delete(child);
      const run: InspectorRun = { code, stdout, stderr };
      const out = lastJsonLine(stdout);
      if (out && 'result' in out) run.result = out.result as Record<string, unknown>;
      const err = lastJsonLine(stderr);
      if (err && 'error' in err) run.error = err.error as InspectorRun['error'];
      resolve(run);
    });
  });
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.split('\n').filter((l) => l.trim().startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]) as Record<string, unknown>;
    } catch {
      // not JSON after all
    }
  }
  return undefined;
}


export const firstText = (r: InspectorRun) => ((r.result?.content ?? []) as { text?: string }[])[0]?.text;
export const explain = (r: InspectorRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

/** Stops any Inspector still running (for an `after` hook). */
export async function stopInspectors(): Promise<void> {
  await Promise.all([...running].map((c) => stopProcess(c, 5_000)));
}
