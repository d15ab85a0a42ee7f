/**
 * Resource denials meet the URI the server will read, not its spelling. server-everything (the
 * v1 SDK's McpServer) parses a URI with WHATWG `new URL()`: the scheme is lowercased, dot
 * segments (also `%2E`) are removed, tabs are dropped and spaces trimmed. So each spelling below
 * reads the denied document straight from the server (checked here, without the gateway), and
 * each must be refused through `portcullis run` (RFC 3986 normalization, and refusal of what
 * cannot be normalized). Template values are the server's to interpret: `…/text/01` is resource 1
 * to this server, which no URI normalization can know; the honest remedy, a deny of the whole
 * template, is tested as well. Real processes, v1 SDK client.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { EVERYTHING, EVERYTHING_STDIO, NODE, resourceText, rpcError, startGateway, type RunningGateway } from '../helpers/gateway-process.ts';

const DOC = 'demo://resource/static/document/architecture.md';
const TEXT1 = 'demo://resource/dynamic/text/1';
/** Spellings server-everything reads as the denied resource (asserted below, directly). */
const SAME_TO_SERVER = [
  'DEMO://resource/static/document/architecture.md',
  'demo://resource/static/document/./architecture.md',
  'demo://resource/static/x/../document/architecture.md',
  'demo://resource/static/document/%2E/architecture.md',
  'demo://resource/static/document/\tarchitecture.md',
  ' demo://resource/static/document/architecture.md',
  'DEMO://resource/dynamic/text/1',
  'demo://resource/dynamic/text/./1',
];

let gw: RunningGateway;
let client: Client;
let direct: Client;

before(async () => {
  gw = await startGateway(`mcp:
${EVERYTHING_STDIO}
  security:
    resourceAccess:
      denied: ["${DOC}", "${TEXT1}", "demo://resource/dynamic/blob/*"]
    pinning: { enabled: false }
    rateLimiting: { enabled: false }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`);
  client = new Client({ name: 'uri-normalization', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  direct = new Client({ name: 'direct', version: '1' });
  await direct.connect(new StdioClientTransport({ command: NODE, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
});

after(async () => {
  await client.close().catch(() => {});
  await direct.close().catch(() => {});
  await gw.stop();
});

const refused = async (uri: string) => assert.equal((await rpcError(client.readResource({ uri }))).data?.reason, 'UNKNOWN_RESOURCE', JSON.stringify(uri));

test('the denied URIs as written are refused, others are read', async () => {
  await refused(DOC);
  await refused(TEXT1);
  assert.ok((await client.readResource({ uri: 'demo://resource/static/document/features.md' })).contents.length);
  assert.match(resourceText(await client.readResource({ uri: 'demo://resource/dynamic/text/2' })), /^Resource 2:/);
});

test('every spelling the server reads as a denied resource is refused (scheme case, dot segments, %2E, tab, space)', async () => {
  for (const uri of SAME_TO_SERVER) {
    const got = await direct.readResource({ uri });
    assert.ok(got.contents[0].uri === DOC || got.contents[0].uri === TEXT1, `the server reads ${JSON.stringify(uri)} as ${got.contents[0].uri}`);
    await refused(uri);
  }
});

test('normalization also covers spellings other servers may equate (host case, encoded unreserved characters)', async () => {
  for (const uri of ['demo://RESOURCE/static/document/architecture.md', 'demo://resource/static/document/%61rchitecture.md', 'demo://resource/dynamic/text/%31']) await refused(uri);
  for (const uri of ['demo://resource/static/document/%zzarchitecture.md', 'demo://resource/dynamic/text/1%']) await refused(uri); // cannot be normalized
});

test('template values are the server\'s: a literal deny of …/text/1 does not cover …/text/01; a deny of the template does', async () => {
  // The documented limit: server-everything reads `01` and `+1` as resource 1.
  for (const id of ['01', '+1']) {
    assert.match(resourceText(await client.readResource({ uri: `demo://resource/dynamic/text/${id}` })), /^Resource 1:/);
  }
  // `demo://resource/dynamic/blob/*` denies every value of the template, however spelled.
  for (const id of ['1', '01', '+1', '1.0']) await refused(`demo://resource/dynamic/blob/${id}`);
  const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
  assert.ok(templates.includes('demo://resource/dynamic/text/{resourceId}'));
  assert.ok(!templates.includes('demo://resource/dynamic/blob/{resourceId}'), 'the denied template is not listed');
});
