/**
 * `portcullis run --workers 2` on the machine's Redis: one listener served by two processes.
 * The v1 SDK client (one new connection per request, so the cluster's round robin spreads one
 * session's calls) lists and calls tools; the calls land on both workers (two audit chains);
 * /metrics on the admin worker counts every worker's calls; a worker killed with SIGKILL is
 * restarted by the primary and the session goes on; after SIGTERM every chain verifies (the killed
 * worker's is open, as a crash leaves it). Several workers without mcp.state.url refuse to start.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { EVERYTHING_STDIO, runCli, startGateway, textOf, writeConfig, type RunningGateway } from '../helpers/gateway-process.ts';
import { dropPrefix, REDIS_TEST_URL, testPrefix } from '../helpers/redis.ts';

const TOKEN = 'e2e-admin-token-workers-7d1f0';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;
const PREFIX = testPrefix();
after(() => dropPrefix(REDIS_TEST_URL, PREFIX));

const config = (state: string) => `
mcp:
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
  state: {dir: "\${DIR}/state"${state}}
${EVERYTHING_STDIO}
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [echo]}
    audit: {destinations: [{type: file, path: "\${AUDIT}"}]}
`;

// Started at once, alongside the first test's gateway (a CLI start costs seconds on a loaded machine).
// The same refusal for `mcp.listen.workers` in the file is test/unit/workers.test.ts.
const refusal = runCli(['run', '--config', writeConfig(config('')).path, '--workers', '2']);

/** Bounded wait for a condition (no fixed sleeps). */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 100))) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
  }
  return assert.fail(`timed out waiting for ${what}`);
}

/** The worker's pid, from its own log lines (`"pid":N,...,"worker":K`). */
function workerPid(gw: RunningGateway, worker: number): number | undefined {
  const pids = [...gw.stderr().matchAll(new RegExp(`"pid":(\\d+),"mode":"run","worker":${worker}\\b`, 'g'))].map((m) => Number(m[1]));
  return pids.at(-1);
}

test('two workers share the listener, the session, the metrics; a killed worker is restarted; every chain verifies', async () => {
  const gw = await startGateway(config(`, url: "${REDIS_TEST_URL}", keyPrefix: "${PREFIX}"`), ['--workers', '2'], { startTimeoutMs: 120_000 });
  const admin = await until('the admin listener', () => /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())?.[1]);
  // No keep-alive: the primary hands out connections round robin, so every request may meet either worker.
  const agent = new Agent({ pipelining: 0 });
  const transport = new StreamableHTTPClientTransport(new URL(gw.url), { fetch: ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as never });
  const client = new Client({ name: 'workers-e2e', version: '1' });
  try {
    await client.connect(transport);
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['echo']);
    for (let i = 0; i < 6; i++) assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: `m${i}` } })), `Echo: m${i}`);

    const calls = () => gw.audit().filter((r) => r.event === 'tool_invoked' && r.tool === 'echo');
    await until('six audited calls', () => calls().length === 6);
    assert.equal(new Set(calls().map((r) => r.chain)).size, 2, 'the calls of one session landed on both workers (one audit chain each)');

    const metrics = async () => {
      const res = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      return res.text();
    };
    const m1 = await metrics();
    assert.match(m1, /^portcullis_requests_total\{method="tools\/call",decision="allow"\} 6$/m, 'the admin worker reports the calls of both workers');
    assert.match(m1, /^portcullis_workers_serving 2$/m);

    const victim = await until('worker 2 pid', () => workerPid(gw, 2));
    process.kill(victim, 'SIGKILL');
    await until('worker 2 restarted', () => /worker 2\/2 \(pid \d+\) is serving again/.test(gw.stderr()));
    assert.notEqual(workerPid(gw, 2), victim);
    for (let i = 6; i < 12; i++) assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { message: `m${i}` } })), `Echo: m${i}`);
    const m2 = await metrics();
    assert.match(m2, /^portcullis_worker_restarts_total 1$/m);
    assert.match(m2, /^portcullis_workers_serving 2$/m);
    await until('twelve audited calls', () => calls().length === 12);
  } finally {
    await client.close().catch(() => {});
    await agent.close();
    assert.equal(await gw.stop(), 0, 'SIGTERM drains every worker and the primary exits 0');
  }
  // Three chains: worker 1, the killed worker 2 (open: a crash leaves no seal), its replacement.
  const cfg = `${gw.dir}/config.yaml`;
  const [strict, verified] = await Promise.all([runCli(['audit', 'verify', '--config', cfg]), runCli(['audit', 'verify', '--config', cfg, '--allow-open'])]);
  assert.equal(strict.status, 1, strict.stdout + strict.stderr);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, new RegExp(`${gw.auditPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: OK — \\d+ records in 3 chain\\(s\\) \\(2 sealed, 1 open\\)`));
  assert.match(verified.stdout, /event store: OK — \d+ records in 3 chain\(s\) \(2 sealed, 1 open\)/);
});

test('several workers without mcp.state.url: refused at start, naming the key and the fix', async () => {
  const flag = await refusal;
  assert.equal(flag.status, 1);
  assert.match(flag.stderr, /mcp\.listen\.workers: --workers 2 asks for 2 workers but mcp\.state\.url is not set/);
  assert.match(flag.stderr, /fix: set mcp\.state\.url to a Redis .*--workers 1/);
});
