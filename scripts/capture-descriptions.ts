/**
 * Captures the REAL tool, prompt and resource-template descriptions (and every parameter
 * description) of the reference servers installed as dev dependencies, through a real MCP client
 * over stdio, into the benign half of the poisoning corpus:
 *   node scripts/capture-descriptions.ts > test/fixtures/detect/poisoning/benign-reference-servers.jsonl
 * Re-run it when the servers are upgraded; the eval then measures false positives on what
 * honest servers actually say.
 */
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { collectStrings } from '../src/detect/poisoning.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const req = createRequire(join(ROOT, 'package.json'));
const scratch = mkdtempSync(join(tmpdir(), 'capture-'));

const SERVERS: { pkg: string; args: string[]; env?: Record<string, string> }[] = [
  { pkg: '@modelcontextprotocol/server-everything', args: ['stdio'] },
  { pkg: '@modelcontextprotocol/server-filesystem', args: [scratch] },
  { pkg: '@modelcontextprotocol/server-memory', args: [], env: { MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') } },
];

for (const s of SERVERS) {
  const entry = req.resolve(`${s.pkg}/package.json`);
  const pkg = JSON.parse(readFileSync(entry, 'utf8')) as { version: string; license?: string; bin?: Record<string, string> | string };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin ?? {})[0];
  const client = new Client({ name: 'capture', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [join(dirname(entry), bin!), ...s.args], env: { ...(process.env as Record<string, string>), ...s.env }, stderr: 'ignore' }));
  const caps = client.getServerCapabilities() ?? {};
  const lists: ['tool' | 'prompt' | 'resourceTemplate', Record<string, unknown>[]][] = [];
  if (caps.tools) lists.push(['tool', (await client.listTools()).tools as Record<string, unknown>[]]);
  if (caps.prompts) lists.push(['prompt', (await client.listPrompts()).prompts as Record<string, unknown>[]]);
  if (caps.resources) lists.push(['resourceTemplate', (await client.listResourceTemplates()).resourceTemplates as Record<string, unknown>[]]);
  for (const [kind, items] of lists) {
    for (const def of items) {
      for (const t of collectStrings(kind, def)) {
        if (t.identifier || t.text.length < 12 || t.text.includes(scratch)) continue;
        const source = `${s.pkg}@${pkg.version} ${kind} ${String(def.name ?? def.uriTemplate)} ${t.path}`;
        process.stdout.write(JSON.stringify({ text: t.text, label: 'benign', kind: 'description', source, licence: 'MIT or Apache-2.0 (modelcontextprotocol/servers; npm says SEE LICENSE IN LICENSE)', note: 'captured through the list methods by scripts/capture-descriptions.ts' }) + '\n');
      }
    }
  }
  await client.close();
}
