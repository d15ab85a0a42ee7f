/**
 * Tasks (MCP 2025-11-25, basic/utilities/tasks) across tenants, attacked through a real
 * `portcullis run` over HTTP: server-everything's `simulate-research-query` (a task-only tool,
 * 4 s of work) behind the gateway, two principals with tokens from a real local OAuth issuer
 * (scripts/test-issuer.ts), the v1 SDK client and its experimental tasks API.
 *
 * The server keeps one task store for its one client — the gateway — so without the gateway's
 * own binding every caller reaches every task. Spec, Security Considerations: tasks are bound to
 * the authorization context; `tasks/get|result|cancel` of another context's task are refused
 * (here exactly like an unknown task id, -32602), `tasks/list` shows only the caller's own.
 * Also: the originating tool's authorization re-checked at `tasks/result` (a role revoked,
 * lockdown), task status notifications and elicitations only to the owner, every `tasks/*`
 * request audited, a server's notifications that no caller can be named for never broadcast, and
 * a task handle on a plain call's result not taken as one (both with chatty-server.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema, ElicitRequestSchema, TaskStatusNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startTestIssuer, type TestIssuer } from '../../scripts/test-issuer.ts';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { BIN, EVERYTHING_STDIO, NODE, ROOT, rpcError, startGateway, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const RESOURCE = 'https://gw.tasks.example/mcp';
const ADMIN_TOKEN = 'task-isolation-admin-token-51c7';
const RESEARCH = 'simulate-research-query';
const CHATTY = join(ROOT, 'test', 'fixtures', 'servers', 'chatty-server.ts');

const CONFIG = (issuer: string) => `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "sha256:${createHash('sha256').update(ADMIN_TOKEN).digest('hex')}"}
${EVERYTHING_STDIO}
  identity: {resource: "${RESOURCE}", jwt: {issuer: "${issuer}"}}
  security:
    requireAuth: true
    toolAccess: {defaultPolicy: deny, allowedTools: [echo, trigger-long-running-operation, {pattern: ${RESEARCH}, roles: [analyst]}]}
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

interface Caller {
  client: Client;
  /** The bearer token sent with the next request (a test may swap it mid-session). */
  token: string;
  statuses: { taskId: string; status: string }[];
  others: { method: string; params?: unknown }[];
  /** The elicitation requests this caller was asked (only with `answer`). */
  asked: string[];
}

/** `answer`: the caller declares elicitation and answers every request with this interpretation. */
async function connect(url: string, token?: string, answer?: string): Promise<Caller> {
  const client = new Client({ name: 'task-isolation-e2e', version: '0' }, answer ? { capabilities: { elicitation: {} } } : {});
  const c: Caller = { client, token: token ?? '', statuses: [], others: [], asked: [] };
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      c.asked.push(req.params.message);
      return { action: 'accept', content: { interpretation: answer } };
    });
  }
  c.client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
    c.statuses.push({ taskId: n.params.taskId, status: n.params.status });
  });
  c.client.fallbackNotificationHandler = async (n) => {
    c.others.push({ method: n.method, params: n.params });
  };
  const withToken = (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    if (c.token) headers.set('authorization', `Bearer ${c.token}`);
    return fetch(input, { ...init, headers });
  };
  await c.client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: withToken }));
  return c;
}

async function startResearch(c: Caller, topic: string, ambiguous = false): Promise<string> {
  const created = await c.client.request(
    { method: 'tools/call', params: { name: RESEARCH, arguments: { topic, ambiguous }, task: { ttl: 60_000 } } },
    CreateTaskResultSchema,
  );
  return created.task.taskId;
}

/** Wait for something the gateway must deliver (not a timing assertion: the cap only ends a failing test). */
async function until(what: string, cond: () => boolean, ms = 15_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); ) {
    if (Date.now() - t0 > ms) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ids = (list: { tasks: { taskId: string }[] }) => list.tasks.map((t) => t.taskId);
const FORGED = 'b6f1c3a2-0000-4000-8000-000000000000';

describe('tasks are bound to the session and principal that created them', { timeout: 180_000 }, () => {
  let issuer: TestIssuer;
  let gw: RunningGateway;
  let admin: string;
  const open: Caller[] = [];
  const token = (sub: string, roles: string[]) => issuer.sign({ sub, aud: RESOURCE, roles });
  const caller = async (sub: string, roles: string[], answer?: string) => {
    const c = await connect(gw.url, await token(sub, roles), answer);
    open.push(c);
    return c;
  };

  before(async () => {
    issuer = await startTestIssuer();
    gw = await startGateway(CONFIG(issuer.issuer));
    admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
  });
  after(async () => {
    for (const c of open) await c.client.close().catch(() => {});
    await gw?.stop();
    await issuer?.close();
  });

  test("Bob can neither list, read, cancel nor hear Alice's task; Alice can; every request is audited", async () => {
    const alice = await caller('alice', ['analyst']);
    const bob = await caller('bob', []);
    const id = await startResearch(alice, 'Q3 revenue forecast');

    assert.ok(!ids(await bob.client.experimental.tasks.listTasks()).includes(id), "tasks/list shows Bob only his own tasks");
    // Opaque: Alice's task looks exactly like a task that never existed.
    for (const [op, run] of [
      ['tasks/get', (t: string) => bob.client.experimental.tasks.getTask(t)],
      ['tasks/result', (t: string) => bob.client.experimental.tasks.getTaskResult(t, CallToolResultSchema)],
      ['tasks/cancel', (t: string) => bob.client.experimental.tasks.cancelTask(t)],
    ] as const) {
      const theirs = await rpcError(run(id));
      assert.equal(theirs.code, -32602, op);
      assert.equal(theirs.data?.reason, 'UNKNOWN_TASK', op);
      assert.deepEqual(theirs, await rpcError(run(FORGED)), `${op}: another's task answers like an unknown one`);
    }

    assert.ok(ids(await alice.client.experimental.tasks.listTasks()).includes(id));
    assert.notEqual((await alice.client.experimental.tasks.getTask(id)).status, 'cancelled', "Bob's tasks/cancel did not reach the server");
    const result = await alice.client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    assert.match(textOf(result), /Research Report: Q3 revenue forecast/);
    await until('Alice hears her task complete', () => alice.statuses.some((s) => s.taskId === id && s.status === 'completed'));
    // The server sent every status before its result; a broadcast would have reached Bob's GET
    // stream long since (the task ran 4 s). A short grace for the other connection, then none.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(bob.statuses, [], "no status of Alice's task on Bob's stream");

    const taskOf = (r: Record<string, unknown>) => (r.detail as { taskId?: string } | undefined)?.taskId;
    const created = await waitForAudit(gw, (r) => r.event === 'tool_invoked' && r.principal === 'alice' && r.tool === RESEARCH && taskOf(r) === id);
    assert.equal(created.decision, 'allow');
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      const denied = await waitForAudit(gw, (r) => r.method === method && r.principal === 'bob' && taskOf(r) === id);
      assert.equal(denied.event, 'policy_violation', method);
      assert.equal(denied.decision, 'deny', method);
      assert.equal(denied.code, 'UNKNOWN_TASK', method);
      assert.match(String(denied.reason), /another session/, method);
      const forged = await waitForAudit(gw, (r) => r.method === method && r.principal === 'bob' && taskOf(r) === FORGED);
      assert.match(String(forged.reason), /unknown task/, method);
    }
    const listed = await waitForAudit(gw, (r) => r.method === 'tasks/list' && r.principal === 'bob');
    assert.equal(listed.event, 'task_accessed');
    assert.equal(listed.decision, 'allow');
    const fetched = await waitForAudit(gw, (r) => r.method === 'tasks/result' && r.principal === 'alice' && taskOf(r) === id);
    assert.equal(fetched.event, 'task_accessed');
    assert.equal(fetched.tool, RESEARCH);
    assert.equal(fetched.decision, 'allow');
  });

  test("the elicitation Alice's task needs reaches Alice, though Bob has a call in flight on the same server", async () => {
    const alice = await caller('alice', ['analyst'], 'historical');
    const bob = await caller('bob', [], 'current');
    const id = await startResearch(alice, 'tidal energy', true);
    // Bob's call is in flight (its first progress came) when Alice fetches her result: the
    // server's elicitation names her task, so it is hers — not ambiguous, and never Bob's.
    let progressed = false;
    const busy = bob.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 8, steps: 4 } }, undefined, { onprogress: () => void (progressed = true) });
    busy.catch(() => {}); // awaited below; not an unhandled rejection if an assertion fails first
    await until("Bob's call is in flight", () => progressed);
    const result = await alice.client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    assert.match(textOf(result), /Clarification\*\*: historical/);
    assert.equal(alice.asked.length, 1);
    assert.deepEqual(bob.asked, []);
    await busy;
  });

  test("the tool's authorization is checked again for the task: a revoked role, then lockdown", async () => {
    const alice = await caller('alice', ['analyst']);
    const analyst = alice.token;
    const id = await startResearch(alice, 'supplier contracts');
    // Same subject, same session, a new token without the role (revoked at the IdP).
    alice.token = await token('alice', []);
    const refused = await rpcError(alice.client.experimental.tasks.getTaskResult(id, CallToolResultSchema));
    assert.equal(refused.data?.reason, 'UNKNOWN_TASK');
    assert.equal((await rpcError(alice.client.experimental.tasks.getTask(id))).data?.reason, 'UNKNOWN_TASK');
    assert.ok(!ids(await alice.client.experimental.tasks.listTasks()).includes(id), 'hidden from the list like from the tool list');
    const rec = await waitForAudit(gw, (r) => r.method === 'tasks/result' && r.principal === 'alice' && r.decision === 'deny' && (r.detail as { taskId?: string } | undefined)?.taskId === id);
    assert.match(String(rec.reason), new RegExp(`${RESEARCH}.*denied by`));

    alice.token = analyst;
    const tokenFile = join(gw.dir, 'admin.token');
    writeFileSync(tokenFile, ADMIN_TOKEN + '\n', { mode: 0o600 });
    // Asynchronously: a blocked event loop would miss the gateway closing idle keep-alive sockets.
    const cli = (...args: string[]) => promisify(execFile)(NODE, [BIN, ...args, '--url', admin, '--token-file', tokenFile], { encoding: 'utf8' });
    await cli('lockdown', 'on', '--reason', 'task e2e');
    try {
      const locked = await rpcError(alice.client.experimental.tasks.getTaskResult(id, CallToolResultSchema));
      assert.equal(locked.code, -32018);
      assert.equal(locked.data?.reason, 'LOCKDOWN');
    } finally {
      await cli('lockdown', 'off');
    }
    const result = await alice.client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    assert.match(textOf(result), /Research Report: supplier contracts/);
    await waitForAudit(gw, (r) => r.method === 'tasks/result' && r.code === 'LOCKDOWN' && r.rule === 'lockdown' && r.event === 'policy_violation');

    // Her own tasks/cancel still works.
    const other = await startResearch(alice, 'to be cancelled');
    assert.equal((await alice.client.experimental.tasks.cancelTask(other)).status, 'cancelled');
  });
});

describe('what a server sends that names no caller, or pretends to be a task', { timeout: 120_000 }, () => {
  let gw: RunningGateway;
  const open: Caller[] = [];
  before(async () => {
    gw = await startGateway(`
mcp:
  servers:
    - name: chatty
      command: "\${NODE}"
      args: [${JSON.stringify(CHATTY)}]
  security:
    toolAccess: {defaultPolicy: deny, allowedTools: [announce, smuggle, handoff]}
    validation: {schemaValidation: warn}
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`);
  });
  after(async () => {
    for (const c of open) await c.client.close().catch(() => {});
    await gw?.stop();
  });

  test("an unknown notification goes only to the session whose call is in flight; an unknown task's status and log to no one", async () => {
    const alice = await connect(gw.url);
    const bob = await connect(gw.url);
    open.push(alice, bob);
    const r = await alice.client.callTool({ name: 'announce', arguments: { message: "alice's private note" } });
    assert.match(textOf(r), /announced/);
    await until('Alice gets the notification of her own call', () => alice.others.some((n) => n.method === 'notifications/acme/audit_trail'));
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(bob.others, [], 'nothing of Alice reaches Bob');
    assert.deepEqual(bob.statuses, []);
    assert.deepEqual(alice.statuses, [], 'a task no one created through the gateway has no owner');
    assert.deepEqual(alice.others.map((n) => n.method), ['notifications/acme/audit_trail'], "not even the log line of that task goes to the caller in flight");
  });

  test('a task handle on a plain call does not switch off result checks and inspection', async () => {
    const c = await connect(gw.url);
    open.push(c);
    const r = await c.client.callTool({ name: 'smuggle', arguments: {} });
    assert.equal((r as Record<string, unknown>).task, undefined, 'the stray handle is removed');
    assert.match(textOf(r), /\[REDACTED:aws-access-key\]/, 'the content was inspected');
    assert.ok(!textOf(r).includes('AKIAQYLPMN5HHHFPZAM2'));
    await waitForAudit(gw, (x) => x.event === 'schema_validation_failed' && /carries a task the request did not ask for/.test(String(x.reason)));
  });

  test('a task handle reaches the client as a handle only: no content, no text for the model', async () => {
    const c = await connect(gw.url);
    open.push(c);
    const created = await c.client.request({ method: 'tools/call', params: { name: 'handoff', arguments: {}, task: { ttl: 60_000 } } }, CreateTaskResultSchema);
    assert.equal(created.task.taskId, 'handoff-1');
    assert.deepEqual(Object.keys(created).sort(), ['_meta', 'task']);
    assert.deepEqual(created._meta, {});
  });
});
