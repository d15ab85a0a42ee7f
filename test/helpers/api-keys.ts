/** API keys made the way an operator makes them: `portcullis keys api-key`, the real CLI. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, NODE } from './gateway-process.ts';

export interface IssuedKey {
  id: string;
  key: string;
  /** The `mcp.identity.apiKeys` list item as printed (six-space indent), without trailing newline. */
  yaml: string;
}

export function issueApiKey(id: string, subject: string, roles = ''): IssuedKey {
  const r = spawnSync(NODE, [BIN, 'keys', 'api-key', '--subject', subject, '--id', id, ...(roles ? ['--roles', roles] : [])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const key = /\b(pcl_[A-Za-z0-9_-]{43})\b/.exec(r.stdout)?.[1];
  assert.ok(key, r.stdout);
  return { id, key, yaml: r.stdout.slice(r.stdout.indexOf('      - id:')).trimEnd() };
}

/** A v1 SDK client over Streamable HTTP presenting `key` as its bearer credential. */
export async function apiKeyClient(url: string, key: string, name = 'api-key-client'): Promise<Client> {
  const client = new Client({ name, version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } }));
  return client;
}
