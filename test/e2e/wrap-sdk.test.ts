/**
 * `portcullis wrap` end to end: the v1 SDK `Client` launches the gateway over stdio exactly as an
 * MCP host would (command + args), and the gateway launches the real server-everything behind it.
 * Everything crosses real pipes: the policy, the server's requests back to the client (sampling,
 * elicitation, roots), progress, cancellation, and the audit file written on the way.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, type CreateMessageRequest } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, NODE, readAudit, rpcError, textOf, wrapCommand, writeConfig } from '../helpers/gateway-process.ts';

const CONFIG = `
mcp:
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - echo
        - get-sum
        - get-env                 # allowed here and denied below: deny must win
        - get-roots-list
        - trigger-long-running-operation
        - trigger-sampling-request
        - trigger-elicitation-request
      deniedTools:
        - get-env
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

const CANNED = 'canned completion from the e2e client 7f3a';

describe('portcullis wrap with the v1 SDK client over stdio', () => {
  const cfg = writeConfig(CONFIG);
  let client: Client;
  let transport: StdioClientTransport;
  let child: ChildProcess | undefined;
  let stderr = '';
  const clientErrors: Error[] = [];
  const samplingRequests: CreateMessageRequest['params'][] = [];

  before(async () => {
    const { command, args } = wrapCommand([NODE, EVERYTHING, 'stdio'], cfg.path);
    transport = new StdioClientTransport({ command, args, stderr: 'pipe' });
    transport.stderr?.on('data', (c: Buffer) => (stderr += c));
    client = new Client(
      { name: 'portcullis-e2e', version: '0.0.1' },
      { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
    );
    client.onerror = (err) => clientErrors.push(err);
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      samplingRequests.push(req.params);
      return { role: 'assistant', model: 'e2e-stub', stopReason: 'endTurn', content: { type: 'text', text: CANNED } };
    });
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Portcullis' } }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: `file://${cfg.dir}`, name: 'e2e-root' }] }));
    await client.connect(transport);
    // The SDK transport keeps its child private; the test needs it to await the gateway's exit.
    child = (transport as unknown as { _process?: ChildProcess })._process;
  });

  after(async () => {
    await client?.close().catch(() => {});
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  test('tools/list: deniedTools and default-deny both hide tools', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, [
      'echo',
      'get-roots-list',
      'get-sum',
      'trigger-elicitation-request',
      'trigger-long-running-operation',
      'trigger-sampling-request',
    ]);
    assert.ok(!names.includes('get-env'), 'denied by deniedTools although allowlisted');
    assert.ok(!names.includes('get-tiny-image'), 'not allowlisted under defaultPolicy: deny');
  });

  test('tools/call echo', async () => {
    const r = await client.callTool({ name: 'echo', arguments: { message: 'hello through wrap' } });
    assert.equal(textOf(r), 'Echo: hello through wrap');
    assert.notEqual(r.isError, true);
  });

  test('a denied tool fails exactly like a tool that does not exist', async () => {
    const denied = await rpcError(client.callTool({ name: 'get-env', arguments: {} }));
    const missing = await rpcError(client.callTool({ name: 'no-such-tool', arguments: {} }));
    assert.equal(denied.code, -32602);
    assert.match(denied.message, /Unknown tool/);
    assert.equal(missing.code, denied.code);
    assert.equal(missing.message.replace('no-such-tool', 'NAME'), denied.message.replace('get-env', 'NAME'));
    assert.deepEqual(missing.data, denied.data);
  });

  test('arguments that violate the inputSchema are refused with ARGUMENTS_INVALID', async () => {
    const e = await rpcError(client.callTool({ name: 'get-sum', arguments: { a: 'two', b: 3 } }));
    assert.equal(e.code, -32602);
    assert.equal(e.data?.reason, 'ARGUMENTS_INVALID');
    const ok = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    assert.match(textOf(ok), /\b5\b/);
  });

  test('prompts/list and prompts/get', async () => {
    const { prompts } = await client.listPrompts();
    assert.ok(prompts.some((p) => p.name === 'args-prompt'), 'args-prompt is listed');
    const got = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Paris', state: 'TX' } });
    const text = got.messages.map((m) => (m.content.type === 'text' ? m.content.text : '')).join(' ');
    assert.match(text, /Paris/);
  });

  test('resources/list, resources/read and resources/templates/list', async () => {
    const { resources } = await client.listResources();
    const demo = resources.find((r) => r.uri.startsWith('demo://'));
    assert.ok(demo, 'a demo:// resource is listed');
    const read = await client.readResource({ uri: demo.uri });
    assert.equal(read.contents[0]?.uri, demo.uri);
    assert.ok('text' in read.contents[0] && String(read.contents[0].text).length > 0, 'the resource has text');

    const { resourceTemplates } = await client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'demo://resource/dynamic/text/{resourceId}'));
    const dyn = await client.readResource({ uri: 'demo://resource/dynamic/text/7' });
    assert.equal(dyn.contents[0]?.uri, 'demo://resource/dynamic/text/7');
  });

  test('progress notifications reach the caller with increasing values', async () => {
    const seen: number[] = [];
    const r = await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 3 } }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    assert.match(textOf(r), /Long running operation completed/);
    assert.ok(seen.length >= 1, 'at least one progress notification');
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] > seen[i - 1], `progress increases: ${seen.join(',')}`);
  });

  test('cancellation: the call rejects, no answer follows it, and the session goes on', async () => {
    const ac = new AbortController();
    const call = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 4, steps: 4 } }, undefined, {
      signal: ac.signal,
      // Abort once the server is provably working on it: its first progress notification.
      onprogress: () => ac.abort('e2e cancel'),
    });
    await assert.rejects(call);
    const r = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    assert.equal(textOf(r), 'Echo: still here');
    // Spec (basic/utilities/cancellation): the receiver of notifications/cancelled SHOULD NOT answer
    // the cancelled request. Messages on one pipe arrive in order, so a stray answer was seen by now.
    const stray = clientErrors.filter((e) => /unknown message ID/i.test(e.message));
    assert.deepEqual(stray.map((e) => e.message), [], 'no response for the cancelled request');
  });

  test('sampling: the server asks the client through the gateway', async () => {
    const r = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 20 } });
    assert.ok(textOf(r).includes(CANNED), textOf(r));
    assert.equal(samplingRequests.length, 1);
    const first = samplingRequests[0].messages[0]?.content as { type: string; text?: string };
    assert.match(String(first.text), /Say hi/);
  });

  test('elicitation: the server asks the client through the gateway', async () => {
    const r = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    assert.match(textOf(r), /Portcullis/);
  });

  test('roots: the server lists the client roots through the gateway', async () => {
    const r = await client.callTool({ name: 'get-roots-list', arguments: {} });
    assert.ok(textOf(r).includes(`file://${cfg.dir}`), textOf(r));
  });

  test('closing the client stops the gateway cleanly and the audit file holds the story', async () => {
    assert.ok(child, 'the gateway process is known');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    await client.close();
    const code = child.exitCode ?? (child.signalCode ? null : await exited);
    assert.equal(code, 0, `gateway exit code; stderr:\n${stderr}`);
    const audit = readAudit(cfg.auditPath);
    const events = new Set(audit.map((r) => r.event));
    for (const e of ['connection_established', 'tool_invoked', 'tool_denied', 'schema_validation_failed', 'connection_closed', 'gateway_stopped']) {
      assert.ok(events.has(e), `audit has ${e}; got ${[...events].join(', ')}`);
    }
    const denied = audit.find((r) => r.event === 'tool_denied' && r.tool === 'get-env');
    assert.equal(denied?.decision, 'deny');
    assert.match(String(denied?.rule), /deniedTools/);
    const invalid = audit.find((r) => r.event === 'schema_validation_failed' && r.tool === 'get-sum');
    assert.equal(invalid?.code, 'ARGUMENTS_INVALID');
    const echoed = audit.find((r) => r.event === 'tool_invoked' && r.tool === 'echo');
    assert.equal(echoed?.decision, 'allow');
  });
});
