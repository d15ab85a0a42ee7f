/**
 * `portcullis demo` still starts and echo still works, with the example policy's argument rules:
 * the session flow rule (after a private-data result — of a tool, a resource read or a prompt —
 * no external sink), the URL allowlist on the
 * fetching tool, and the CEL condition. Real process, real server-everything, real v1 client.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BIN, NODE, readAudit, resourceText, rpcError, stopProcess, tempDir, textOf } from '../helpers/gateway-process.ts';
import { join } from 'node:path';

const cwd = tempDir('portcullis-demo-');
const proc = spawn(NODE, [BIN, 'demo', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
let url = '';

before(async () => {
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`demo did not start:\n${err}`)), 30_000);
    proc.stdout!.on('data', (c) => {
      out += c;
      const m = /MCP endpoint \(Streamable HTTP\):\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => reject(new Error(`demo exited with ${code}:\n${err}`)));
  });
});

after(async () => {
  await stopProcess(proc);
});

async function connect(): Promise<Client> {
  const c = new Client({ name: 'demo-test', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
}

const gzip = (c: Client, data: string) => c.callTool({ name: 'gzip-file-as-resource', arguments: { name: 'x.gz', data, outputType: 'resourceLink' } });

test('echo works through the demo', async () => {
  const c = await connect();
  try {
    assert.equal(textOf(await c.callTool({ name: 'echo', arguments: { message: 'hello' } })), 'Echo: hello');
  } finally {
    await c.close();
  }
});

test('the example flow rule: after a private-data result, the external sink is refused for the session', async () => {
  const c = await connect();
  try {
    await gzip(c, 'data:text/plain,before'); // a clean session may fetch
    await c.callTool({ name: 'get-resource-reference', arguments: { resourceId: 1 } });
    const e = await rpcError(gzip(c, 'data:text/plain,after'));
    assert.equal(e.data?.reason, 'POLICY_DENIED');
    assert.equal(textOf(await c.callTool({ name: 'echo', arguments: { message: 'still here' } })), 'Echo: still here');
  } finally {
    await c.close();
  }
  const fresh = await connect();
  try {
    await gzip(fresh, 'data:text/plain,new-session');
  } finally {
    await fresh.close();
  }
  await new Promise((r) => setTimeout(r, 300)); // the audit sink batches writes
  const rec = readAudit(join(cwd, '.portcullis', 'demo-audit.log')).find((r) => r.rule === 'flowRules[0]: no-fetch-after-private-data');
  assert.ok(rec, 'the denial is audited with the flow rule');
  assert.equal(rec.tool, 'gzip-file-as-resource');
});

test('the flow rule sees resources and prompts too: resources/read of the same document, or the prompt embedding it, taints the session', async () => {
  // get-resource-reference returns demo://resource/dynamic/text/1; reading it directly is the same data.
  const read = await connect();
  try {
    assert.match(resourceText(await read.readResource({ uri: 'demo://resource/dynamic/text/1' })), /^Resource 1:/);
    assert.equal((await rpcError(gzip(read, 'data:text/plain,after-resource'))).data?.reason, 'POLICY_DENIED');
  } finally {
    await read.close();
  }
  const prompt = await connect();
  try {
    const got = await prompt.getPrompt({ name: 'resource-prompt', arguments: { resourceType: 'Text', resourceId: '1' } });
    assert.ok(got.messages.some((m) => m.content.type === 'resource'), 'the prompt embeds the resource');
    assert.equal((await rpcError(gzip(prompt, 'data:text/plain,after-prompt'))).data?.reason, 'POLICY_DENIED');
  } finally {
    await prompt.close();
  }
  const other = await connect();
  try {
    await other.getPrompt({ name: 'simple-prompt' }); // an unlabeled prompt taints nothing
    await gzip(other, 'data:text/plain,still-clean');
  } finally {
    await other.close();
  }
});

test('the example URL allowlist and CEL condition', async () => {
  const c = await connect();
  try {
    const e = await rpcError(gzip(c, 'http://127.0.0.1:1/secret'));
    assert.equal(e.data?.reason, 'POLICY_DENIED');
    const long = await rpcError(c.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 300, steps: 1 } }));
    assert.equal(long.data?.reason, 'POLICY_DENIED');
    const ok = await c.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.1, steps: 1 } });
    assert.match(textOf(ok), /completed/);
  } finally {
    await c.close();
  }
});

test('stateless 2026-07-28 requests: the taint follows the caller across requests', async () => {
  const call = async (name: string, args: Record<string, unknown>) => {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name, arguments: args, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } },
    };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    const json = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
    return JSON.parse(json) as { result?: unknown; error?: { data?: { reason?: string } } };
  };
  // Each request is a session of its own; the taint is keyed by the caller (principal and peer).
  assert.ok((await call('gzip-file-as-resource', { name: 'x.gz', data: 'data:text/plain,x' })).result, 'untainted: allowed');
  assert.ok((await call('get-resource-reference', { resourceId: 2 })).result);
  const refused = await call('gzip-file-as-resource', { name: 'x.gz', data: 'data:text/plain,x' });
  assert.equal(refused.error?.data?.reason, 'POLICY_DENIED');
});
