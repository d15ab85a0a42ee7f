/**
 * The MCP Inspector CLI as the client: a second, independent client implementation driving the
 * gateway, both as a stdio command (`portcullis wrap`) and as a Streamable HTTP URL
 * (`portcullis run`). The CLI prints `{"result":...}` on stdout and exits non-zero on failure.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BIN, EVERYTHING, NODE, startGateway, stopProcess, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';
import { explain, firstText, inspector, stopInspectors, type InspectorRun } from '../helpers/inspector-cli.ts';

const POLICY = `
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools: [echo, get-sum, get-env]
      deniedTools: [get-env]
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

const toolNames = (r: InspectorRun) => ((r.result?.tools ?? []) as { name: string }[]).map((t) => t.name);

after(stopInspectors);

describe('Inspector CLI through portcullis wrap (stdio)', () => {
  const cfg = writeConfig(`mcp:${POLICY}`);
  const target = ['--', NODE, BIN, 'wrap', '--config', cfg.path, '--', NODE, EVERYTHING, 'stdio'];

  // Each run starts its own gateway and server (about 2 s, mostly the server's stdio close); run them together.
  let list: InspectorRun;
  let echo: InspectorRun;
  let denied: InspectorRun;
  let missing: InspectorRun;
  before(async () => {
    [list, echo, denied, missing] = await Promise.all([
      inspector(['--method', 'tools/list', ...target]),
      inspector(['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=hello inspector', ...target]),
      inspector(['--method', 'tools/call', '--tool-name', 'get-env', ...target]),
      inspector(['--method', 'tools/call', '--tool-name', 'no-such-tool', ...target]),
    ]);
  });

  test('tools/list shows exactly the allowed tools', () => {
    assert.equal(list.code, 0, explain(list));
    assert.deepEqual(toolNames(list).sort(), ['echo', 'get-sum']);
  });

  test('tools/call echo', () => {
    assert.equal(echo.code, 0, explain(echo));
    assert.equal(firstText(echo), 'Echo: hello inspector');
  });

  test('calling a denied tool exits non-zero, the same way as a tool that does not exist', () => {
    assert.notEqual(denied.code, 0, explain(denied));
    assert.equal(denied.result, undefined, 'no result printed');
    assert.equal(denied.code, missing.code, `${explain(denied)}\n---\n${explain(missing)}`);
    assert.equal(denied.error?.code, missing.error?.code);
  });
});

describe('Inspector CLI through portcullis run (Streamable HTTP)', () => {
  let gw: RunningGateway;

  before(async () => {
    gw = await startGateway(`
mcp:
  listen: {host: 127.0.0.1, port: 0}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
${POLICY}`);
  });

  after(async () => {
    if (gw) await stopProcess(gw.proc);
  });

  const http = (...args: string[]) => inspector(['--server-url', gw.url, '--transport', 'http', ...args]);

  test('tools/list and tools/call echo', async () => {
    const [list, echo] = await Promise.all([
      http('--method', 'tools/list'),
      http('--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=over http'),
    ]);
    assert.equal(list.code, 0, explain(list));
    assert.deepEqual(toolNames(list).sort(), ['echo', 'get-sum']);
    assert.equal(echo.code, 0, explain(echo));
    assert.equal(firstText(echo), 'Echo: over http');
  });

  test('tools/call with numeric arguments (get-sum)', async () => {
    const sum = await http('--method', 'tools/call', '--tool-name', 'get-sum', '--tool-args-json', '{"a":2,"b":3.5}');
    assert.equal(sum.code, 0, explain(sum));
    assert.match(String(firstText(sum)), /5\.5/);
  });

  test('calling a denied tool exits non-zero', async () => {
    const denied = await http('--method', 'tools/call', '--tool-name', 'get-env');
    assert.notEqual(denied.code, 0, explain(denied));
    assert.equal(denied.result, undefined);
  });

  test('prompts/list, prompts/get and resources/read', async () => {
    const [prompts, prompt, resource] = await Promise.all([
      http('--method', 'prompts/list'),
      http('--method', 'prompts/get', '--prompt-name', 'args-prompt', '--prompt-args', 'city=Paris', 'state=TX'),
      http('--method', 'resources/read', '--uri', 'demo://resource/dynamic/text/1'),
    ]);
    assert.equal(prompts.code, 0, explain(prompts));
    assert.ok(((prompts.result?.prompts ?? []) as { name: string }[]).some((p) => p.name === 'args-prompt'), explain(prompts));
    assert.equal(prompt.code, 0, explain(prompt));
    assert.match(JSON.stringify(prompt.result?.messages), /Paris/);
    assert.equal(resource.code, 0, explain(resource));
    const contents = (resource.result?.contents ?? []) as { uri?: string; text?: string }[];
    assert.equal(contents[0]?.uri, 'demo://resource/dynamic/text/1');
    assert.ok(contents[0]?.text, 'the resource has text');
  });
});
