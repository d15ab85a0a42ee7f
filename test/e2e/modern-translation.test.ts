/**
 * 2026-07-28 callers in front of 2025 servers: the gateway turns a server's sampling/elicitation
 * request into an `input_required` answer and resumes the server's call on the retry; a forged
 * `requestState` is refused; `subscriptions/listen` delivers list changes with the subscription id.
 * Real v2 client (pinned to 2026-07-28, so a silent fallback to 2025 fails), real server-everything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { EVERYTHING, startGateway, wrapCommand, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';

const YAML = `mcp:
  servers: [{ name: ev, command: "\${NODE}", args: ["\${EVERYTHING}", "stdio"] }]
  security:
    toolAccess: { defaultPolicy: allow, deniedTools: [get-env] }
    audit: { destinations: [{ type: file, path: "\${AUDIT}" }] }
`;

function modernClient(): Client {
  const c = new Client(
    { name: 'modern-test', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } } } as ConstructorParameters<typeof Client>[1],
  );
  c.setRequestHandler('sampling/createMessage' as never, (async () => ({ role: 'assistant', content: { type: 'text', text: 'canned sample 42' }, model: 'test-model', stopReason: 'endTurn' })) as never);
  c.setRequestHandler('elicitation/create' as never, (async () => ({ action: 'accept', content: { color: 'red', number: 7, pets: 'cats' } })) as never);
  return c;
}

const text = (r: { content?: unknown }) => JSON.stringify(r.content);

for (const transport of ['http', 'stdio'] as const) {
  describe(`2026-07-28 client through ${transport === 'http' ? 'portcullis run' : 'portcullis wrap'}`, () => {
    let gw: RunningGateway | undefined;
    let client: Client;
    before(async () => {
      client = modernClient();
      if (transport === 'http') {
        gw = await startGateway(YAML);
        await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
      } else {
        const cfg = writeConfig(YAML);
        const w = wrapCommand(['node', EVERYTHING, 'stdio'], cfg.path);
        await client.connect(new StdioClientTransport({ command: w.command, args: w.args, stderr: 'ignore' }));
      }
    });
    after(async () => {
      await client.close().catch(() => {});
      await gw?.stop();
    });

    test('the connection is on 2026-07-28', () => {
      assert.equal((client as unknown as { getProtocolEra(): string }).getProtocolEra(), 'modern');
    });

    test('a server sampling request becomes input_required and the call completes on the retry', async () => {
      const r = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 10 } });
      assert.match(text(r), /canned sample 42/);
    });

    test('a server elicitation request becomes input_required too', async () => {
      const r = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
      assert.match(text(r), /red/);
    });

    test('a denied tool is still an unknown tool', async () => {
      await assert.rejects(client.callTool({ name: 'get-env', arguments: {} }), /Unknown tool/);
    });
  });
}

describe('requestState and subscriptions/listen over HTTP', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(YAML);
  });
  after(() => gw.stop());

  const post = (body: unknown, name?: string) =>
    fetch(gw.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': (body as { method: string }).method,
        ...(name ? { 'mcp-name': name } : {}),
      },
      body: JSON.stringify(body),
    });
  const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { sampling: {} } };

  test('a forged requestState is refused, and the server never sees it', async () => {
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' }, requestState: 'forged', inputResponses: {}, _meta: meta } }, 'echo');
    const body = (await res.json()) as { error: { code: number; data: { reason: string } } };
    assert.equal(body.error.code, -32602);
    assert.equal(body.error.data.reason, 'INVALID_PARAMS');
  });

  test('the raw input_required answer has inputRequests and an opaque requestState', async () => {
    const res = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'p', maxTokens: 5 }, _meta: meta } }, 'trigger-sampling-request');
    const body = (await res.json()) as { result: { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string } };
    assert.equal(body.result.resultType, 'input_required');
    const [key] = Object.keys(body.result.inputRequests);
    assert.equal(body.result.inputRequests[key].method, 'sampling/createMessage');
    assert.ok(body.result.requestState.length >= 22);
    // The retry answers it; the result is the server's own.
    const retry = await post(
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: { prompt: 'p', maxTokens: 5 }, inputResponses: { [key]: { role: 'assistant', content: { type: 'text', text: 'raw retry ok' }, model: 'm' } }, requestState: body.result.requestState, _meta: meta } },
      'trigger-sampling-request',
    );
    const done = (await retry.json()) as { result: { resultType: string; content: unknown } };
    assert.equal(done.result.resultType, 'complete');
    assert.match(JSON.stringify(done.result.content), /raw retry ok/);
    // A requestState is good for one retry only.
    const again = await post({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'trigger-sampling-request', arguments: {}, inputResponses: {}, requestState: body.result.requestState, _meta: meta } }, 'trigger-sampling-request');
    assert.equal(((await again.json()) as { error: { code: number } }).error.code, -32602);
  });

  test('subscriptions/listen acknowledges and delivers list changes with the subscription id', async () => {
    const client = modernClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    try {
      const got = new Promise<unknown>((resolve) => client.setNotificationHandler('notifications/resources/list_changed' as never, ((n: unknown) => resolve(n)) as never));
      const sub = await (client as unknown as { listen(f: object): Promise<{ honoredFilter: Record<string, unknown>; close(): Promise<void> }> }).listen({ resourcesListChanged: true });
      assert.equal(sub.honoredFilter.resourcesListChanged, true);
      // gzip-file-as-resource adds a resource, and the server says resources/list_changed.
      await client.callTool({ name: 'gzip-file-as-resource', arguments: { name: 'x.txt', data: 'data:text/plain;base64,aGVsbG8=', outputType: 'resource' } });
      const n = (await got) as { method?: string };
      assert.ok(n);
      await sub.close();
    } finally {
      await client.close();
    }
  });
});
