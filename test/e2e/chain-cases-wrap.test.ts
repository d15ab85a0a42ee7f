/**
 * The shared end-to-end cases (cases/chain-cases.ts) through the gateway: `portcullis wrap`
 * launched by the v1 SDK client over stdio, one wrap per server, `--name` naming its skill.
 */
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, NODE } from '../helpers/gateway-process.ts';
import { CHAIN_CASES, makeWorld, SERVERS } from './cases/chain-cases.ts';

describe('shared chain cases through portcullis wrap (v1 SDK client)', () => {
  const world = makeWorld();
  const clients = new Map<string, Client>();

  before(async () => {
    for (const server of SERVERS) {
      const client = new Client({ name: 'chain-cases-wrap', version: '1' });
      const args = [BIN, 'wrap', '--config', world.configPath, '--name', server, '--', ...world.argv[server]];
      await client.connect(new StdioClientTransport({ command: NODE, args, stderr: 'ignore' }));
      clients.set(server, client);
    }
  });

  after(async () => {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
  });

  for (const c of CHAIN_CASES) test(c.name, () => c.run(clients.get(c.server)!, world));
});
