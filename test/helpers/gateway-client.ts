/**
 * A `portcullis run` gateway and a v1 SDK client connected to it over Streamable HTTP, for the
 * length of one test body; both are closed afterwards, whatever the body did.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type RunningGateway } from './gateway-process.ts';

export async function withGatewayClient(yaml: string, fn: (c: Client, gw: RunningGateway) => Promise<void>): Promise<void> {
  const gw = await startGateway(yaml);
  const c = new Client({ name: 'portcullis-e2e', version: '1' });
  try {
    await c.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    await fn(c, gw);
  } finally {
    await c.close().catch(() => {});
    await gw.stop();
  }
}

/** A v1 SDK client connected to a gateway's Streamable HTTP endpoint. */
export async function connectClient(url: string, name = 'portcullis-e2e'): Promise<Client> {
  const c = new Client({ name, version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
}
