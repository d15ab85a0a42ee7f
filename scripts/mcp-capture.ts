/**
 * The MCP client side of the capture scripts (capture-results.ts, detect-data/capture-benign.ts):
 * start an installed reference server over stdio with a real SDK client, and the texts of a
 * tools/call result.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = createRequire(join(ROOT, 'package.json'));

export async function connect(pkgName: string, args: string[], env: Record<string, string> = {}): Promise<{ client: Client; version: string }> {
  const entry = req.resolve(`${pkgName}/package.json`);
  const pkg = JSON.parse(readFileSync(entry, 'utf8')) as { version: string; bin?: Record<string, string> | string };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin ?? {})[0];
  const client = new Client({ name: 'capture-results', version: '1' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [join(dirname(entry), bin!), ...args], env: { PATH: process.env.PATH ?? '', ...env }, stderr: 'ignore' }),
  );
  return { client, version: pkg.version };
}

export function textsOf(result: unknown): string[] {
  const content = (result as { content?: Array<{ type: string; text?: string; resource?: { text?: string } }> }).content ?? [];
  const out: string[] = [];
  for (const c of content) {
    if (c.type === 'text' && c.text) out.push(c.text);
    if (c.type === 'resource' && c.resource?.text) out.push(c.resource.text);
  }
  const structured = (result as { structuredContent?: unknown }).structuredContent;
  if (structured !== undefined) out.push(JSON.stringify(structured));
  return out;
}

/** Paragraph-aligned chunks of at most `max` chars (a longer paragraph is cut hard). */
export function chunks(text: string, max = 3000): string[] {
  const out: string[] = [];
  let cur = '';
  for (const para of text.split(/\n{2,}/)) {
    for (let i = 0; i < para.length; i += max) {
      const piece = para.slice(i, i + max);
      if (cur && cur.length + piece.length + 2 > max) {
        out.push(cur);
        cur = '';
      }
      cur = cur ? `${cur}\n\n${piece}` : piece;
    }
  }
  if (cur.trim()) out.push(cur);
  return out.filter((c) => c.trim().length >= 40);
}
