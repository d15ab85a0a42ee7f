/**
 * Real MCP clients over Streamable HTTP for the e2e tests: the v1 SDK on 2025-11-25 (with a
 * sampling handler that answers a stub message) and the v2 client pinned to 2026-07-28.
 */
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

export async function legacyClient(url: string, onSample?: () => void): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'portcullis-e2e-v1', version: '1' }, { capabilities: { sampling: {} } });
  client.setRequestHandler(CreateMessageRequestSchema, async () => {
    onSample?.();
    return { role: 'assistant', model: 'stub', stopReason: 'endTurn', content: { type: 'text', text: 'sampled across replicas' } };
  });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

export async function modernClient(url: string): Promise<ModernClient> {
  const client = new ModernClient({ name: 'portcullis-e2e-v2', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } } as never);
  await client.connect(new ModernTransport(new URL(url)));
  return client;
}
