/**
 * A v1 SDK MCP client whose HTTPS goes through an undici Agent with the given TLS options (CA,
 * client certificate, ecdhCurve...): how the TLS e2e tests talk to `portcullis run` over TLS.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Pair, TestPki } from './certs.ts';

export async function tlsSdkClient(url: string, tls: ConnectionOptions): Promise<{ client: Client; close: () => Promise<void> }> {
  const agent = new Agent({ connect: tls });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    fetch: ((u: string | URL, init?: RequestInit) => undiciFetch(u, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch,
  });
  const client = new Client({ name: 'portcullis-tls-e2e', version: '0.0.1' });
  try {
    await client.connect(transport);
  } catch (err) {
    await agent.close();
    throw err;
  }
  return { client, close: async () => { await client.close(); await agent.close(); } };
}

/** TLS options presenting `who`'s client certificate and trusting the test CA. */
export const clientCert = (pki: TestPki, who: Pair): ConnectionOptions => ({ ca: readFileSync(pki.ca.cert), cert: readFileSync(who.cert), key: readFileSync(who.key) });
