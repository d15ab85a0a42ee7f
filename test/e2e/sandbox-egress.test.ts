/**
 * `network: allowlist`: a sandboxed server reaches the allowlisted host through the filtering
 * proxy (plain HTTP and CONNECT), and nothing else: not another host, not the allowlisted host by
 * a name that is not listed, not anything directly. Refusals are audited.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningGateway } from '../helpers/gateway-process.ts';
import { call, eventually, FIXTURE_DIR, HOSTILE, sandboxGateway, type SandboxGateway } from '../helpers/sandbox-fixtures.ts';

/**
 * The test's hosts listen on 127.0.0.2: loopback on the host (nothing leaves the machine), but not
 * in the sandbox's NO_PROXY (localhost, 127.0.0.1, ::1), so a plain fetch() goes through the proxy.
 */
const HOST = '127.0.0.2';

type Outcome = { ok: boolean; status?: number; code?: string; body?: string; head?: string };

/** Requests that reached each listener, by name: nothing refused by the proxy may appear here. */
const reached: string[] = [];

function listen(name: string, redirectTo?: () => string): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => {
    reached.push(name);
    if (redirectTo) {
      res.writeHead(302, { location: redirectTo() });
      res.end();
    } else res.end(`hello from ${name}`);
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('sandbox egress allowlist (bubblewrap + filtering proxy)', () => {
  let env: SandboxGateway;
  let gw: RunningGateway;
  let client: Client;
  let allowed: { server: Server; port: number };
  let other: { server: Server; port: number };
  let redirector: { server: Server; port: number };

  before(async () => {
    allowed = await listen('allowed');
    other = await listen('other');
    // Allowed itself, it sends the client on to a port that is not (the gateway's argument
    // policy never sees a redirect; this proxy sees every connection).
    redirector = await listen('redirector', () => `http://${HOST}:${other.port}/after-redirect`);
    env = await sandboxGateway(
      `    - { name: egress, command: "\${NODE}", args: [${JSON.stringify(HOSTILE)}] }`,
      `      enabled: true
      network: allowlist
      allowedHosts: ["${HOST}:${allowed.port}", "${HOST}:${redirector.port}"]
      allowedPaths: [${FIXTURE_DIR}]`,
    );
    ({ gw, client } = env);
  });

  after(async () => {
    await env?.stop();
    allowed?.server.close();
    other?.server.close();
    redirector?.server.close();
  });

  test('the server is told where the proxy is', async () => {
    const me = (await call(client, 'whoami')).report as { env: string[] };
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'NODE_USE_ENV_PROXY']) assert.ok(me.env.includes(k), k);
  });

  test('through the proxy: the allowlisted host answers; another host, or the same one by an unlisted name, is refused (403)', async () => {
    const r = (await call(client, 'egress', { targets: [[HOST, allowed.port], [HOST, other.port], ['localhost', allowed.port]] })).report as Record<string, Outcome>;
    assert.equal(r[`proxy ${HOST}:${allowed.port}`].body, 'hello from allowed');
    assert.equal(r[`proxy ${HOST}:${other.port}`].status, 403, 'a host that is not listed');
    assert.equal(r[`proxy localhost:${allowed.port}`].status, 403, 'an unlisted name for a listed address');
    assert.equal(r[`fetch ${HOST}:${allowed.port}`].body, 'hello from allowed', `plain fetch() follows HTTP_PROXY (NODE_USE_ENV_PROXY): ${JSON.stringify(r)}`);
    assert.equal(r[`fetch ${HOST}:${other.port}`].ok, false);
    for (const k of Object.keys(r).filter((x) => x.startsWith('direct '))) {
      assert.equal(r[k].ok, false, `${k}: no direct route (${JSON.stringify(r[k])})`);
    }
  });

  test('a 302 from an allowed host to one that is not: the redirect is refused at the proxy (what allowedPorts cannot see)', async () => {
    const refusedOther = () => gw.audit().filter((e) => e.rule === 'sandbox.allowedHosts' && String(e.reason).includes(`${HOST}:${other.port}`)).length;
    await new Promise((res) => setTimeout(res, 500));
    const before = refusedOther();
    const r = (await call(client, 'egress', { targets: [[HOST, redirector.port]] })).report as Record<string, Outcome>;
    assert.equal(r[`proxy ${HOST}:${redirector.port}`].status, 302, 'the allowed host answers');
    await eventually(() => refusedOther() > before, 'the proxy refused (and audited) the redirect target');
    // fetch() follows the redirect through the proxy (a CONNECT for the new port), which answers
    // 403: undici reports "Proxy response (403) !== 200 when HTTP Tunneling" as a failed fetch.
    assert.equal(r[`fetch ${HOST}:${redirector.port}`].status, undefined, `not the 302 itself: the redirect was followed and failed (${JSON.stringify(r)})`);
    assert.ok(reached.includes('redirector'), 'the allowed first hop was made');
    assert.ok(!reached.includes('other'), `the redirect target was never reached: ${reached.join(', ')}`);
  });

  test('CONNECT (how HTTPS clients use a proxy): allowed to the listed host, refused to another', async () => {
    const ok = (await call(client, 'tunnel', { host: HOST, port: allowed.port })).report as Outcome;
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.match(ok.head!, /200 Connection Established/);
    const no = (await call(client, 'tunnel', { host: HOST, port: other.port })).report as Outcome;
    assert.equal(no.ok, false);
    assert.match(no.head!, /403/);
  });

  test('no socket reaches anything directly, raw sockets are refused', async () => {
    const r = (await call(client, 'network', { targets: [[HOST, allowed.port], ['1.1.1.1', 443]] })).report as Record<string, { ok: boolean; errno?: number }>;
    assert.equal(r[`${HOST}:${allowed.port}`].ok, false);
    assert.equal(r['1.1.1.1:443'].ok, false);
    assert.equal(r.raw_ip_socket.errno, 1);
  });

  test('each refusal is audited with the rule', async () => {
    const refusals = () => gw.audit().filter((e) => e.event === 'policy_violation' && e.rule === 'sandbox.allowedHosts');
    const refused = await eventually(() => {
      const r = refusals();
      const both = r.some((e) => String(e.reason).includes(`${HOST}:${other.port}`)) && r.some((e) => String(e.reason).includes(`localhost:${allowed.port}`));
      return both ? r : undefined;
    }, 'the refusals reach the audit log');
    assert.ok(refused.every((e) => e.server === 'egress'));
  });
});
