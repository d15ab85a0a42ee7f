/**
 * The operator console in a real browser: headless Chromium (Debian `chromium`, driven by
 * playwright-core) against a live `portcullis run` (server-everything and the rug-pull server
 * over stdio) while a v1 SDK client makes calls. Sign in; nothing of the admin API without the
 * token or the cookie, and no action without the CSRF token; a denied call appears without a
 * reload; a pending call approved in the browser completes; lockdown on refuses the next call;
 * a drifted pin is approved and its tool comes back. Screenshots go to test/artifacts/console/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitForAudit } from '../helpers/audit-wait.ts';
import { ROOT, rpcError, startGateway, tempDir, textOf, type RunningGateway } from '../helpers/gateway-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test', 'artifacts', 'console');
const RUG_PULL = join(ROOT, 'test', 'fixtures', 'servers', 'rug-pull-server.ts');
const TOKEN = 'e2e-console-token-71d0c4a9e2';
const TOKEN_HASH = `sha256:${createHash('sha256').update(TOKEN).digest('hex')}`;
const FACT = 'facts__get_fact_of_the_day';

const config = (signal: string) => `
mcp:
  listen: {host: 127.0.0.1, port: 0}
  admin: {enabled: true, host: 127.0.0.1, port: 0, tokenHash: "${TOKEN_HASH}"}
  servers:
    - name: everything
      command: "\${NODE}"
      args: ["\${EVERYTHING}", "stdio"]
    - name: facts
      command: "\${NODE}"
      args: [${JSON.stringify(RUG_PULL)}, ${JSON.stringify(signal)}]
  security:
    toolAccess:
      defaultPolicy: deny
      allowedTools:
        - {pattern: everything__echo, approval: required}
        - everything__get-sum
        - facts__*
    rateLimiting: {requestsPerMinute: 60000, burstSize: 5000}
    audit:
      destinations: [{type: file, path: "\${AUDIT}"}]
`;

describe('the operator console in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, () => {
  const dir = tempDir('portcullis-console-');
  const signal = join(dir, 'signal');
  let gw: RunningGateway;
  let admin: string;
  let browser: Browser;
  let page: Page;
  let client: Client;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const view = async (name: string) => {
    await page.click(`#nav button[data-view="${name}"]`);
    await page.waitForSelector(`#view-${name}:not([hidden])`);
  };

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    gw = await startGateway(config(signal), [], { dir });
    admin = /admin listener on (http:\/\/[\d.:]+)/.exec(gw.stderr())![1];
    client = new Client({ name: 'console-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await client?.close().catch(() => {});
    await browser?.close();
    await gw?.stop();
  });

  test('nothing of the admin API answers without the token or the cookie', async () => {
    for (const path of ['/admin/state', '/admin/events', '/admin/approvals', '/admin/pins', '/admin/sessions', '/admin/report.html', '/console/console.js', '/console/session', '/metrics']) {
      assert.equal((await fetch(`${admin}${path}`)).status, 401, path);
    }
    assert.equal((await fetch(`${admin}/admin/lockdown`, { method: 'POST', body: '{"enabled":true}' })).status, 401);
    const cross = await fetch(`${admin}/console/login`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${TOKEN}` });
    assert.equal(cross.status, 403, 'a sign-in posted from another site is refused');
  });

  test('sign in: a wrong token is refused; the right one sets an HttpOnly, SameSite=Strict cookie', async () => {
    const res = await page.goto(`${admin}/`);
    const csp = res!.headers()['content-security-policy'];
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('p.error');
    assert.match((await page.textContent('p.error'))!, /refused/);
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#view-events #events-state:text("(live)")');
    const [cookie] = await page.context().cookies();
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.secure, false, 'plain HTTP here: Secure is set under TLS only');
    // With the cookie but without the CSRF token, an action is refused.
    const status = await page.evaluate(async () => (await fetch('/admin/lockdown', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"enabled":true}' })).status);
    assert.equal(status, 403);
    // The refused sign-in and the refused action were logged as failed loads; from here on, none.
    errors.length = 0;
  });

  test('a denied call appears in the live events without a reload', async () => {
    const e = await rpcError(client.callTool({ name: 'everything__get-env', arguments: {} }));
    assert.equal(e.data?.reason, 'UNKNOWN_TOOL');
    await page.waitForSelector('#events-body tr[data-event="tool_denied"][data-tool="get-env"]');
    await shot('1-live-events');
    // Filtered by decision and tool: only that record is shown, and a new matching one arrives live.
    await page.selectOption('pc-events select[name="decision"]', 'deny');
    await page.fill('pc-events input[name="tool"]', 'get-env');
    await page.click('pc-events button:text("Apply filters")');
    await page.waitForSelector('#events-state:text("(live)")');
    await page.waitForSelector('#events-body tr[data-event="tool_denied"]');
    await rpcError(client.callTool({ name: 'everything__get-env', arguments: { again: true } }));
    // A selector, not a string predicate: Playwright evaluates a string with eval, which the
    // console's CSP (no unsafe-eval) refuses, and that refusal is reported as a CSP violation.
    await page.waitForSelector('#events-body tr:nth-child(2)');
    const shown = await page.$$eval('#events-body tr', (rows) => rows.map((r) => `${r.className}/${r.getAttribute('data-tool')}`));
    assert.ok(shown.every((x) => x === 'deny/get-env'), shown.join(', '));
  });

  test('a pending call is approved in the browser and completes', async () => {
    await view('approvals');
    const call = client.callTool({ name: 'everything__echo', arguments: { message: 'approved in the browser' } });
    const approve = 'pc-approvals tr[data-tool="echo"] button:text("Approve")';
    await page.waitForSelector(approve);
    await shot('2-approvals');
    await page.click(approve);
    assert.equal(textOf(await call), 'Echo: approved in the browser');
    const granted = await waitForAudit(gw, (r) => r.event === 'approval_granted');
    assert.equal((granted.detail as Record<string, unknown>).via, 'console');
    assert.match(String(granted.principal), /^console@/);
  });

  test('lockdown on from the browser: the next call is refused; off again', async () => {
    await view('lockdown');
    await page.click('pc-lockdown button:text("Lockdown on")');
    await page.waitForSelector('#lockdown-state:text("ON")');
    await shot('3-lockdown');
    const e = await rpcError(client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } }));
    assert.equal(e.data?.reason, 'LOCKDOWN');
    const on = await waitForAudit(gw, (r) => r.event === 'lockdown_enabled');
    assert.match(String(on.principal), /^console@/);
    await page.click('pc-lockdown button:text("Lockdown off")');
    await page.waitForSelector('#lockdown-state:text("OFF")');
    assert.equal(textOf(await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } })), 'The sum of 1 and 2 is 3.');
  });

  test('a drifted pin is approved in the browser and its tool comes back', async () => {
    assert.ok(textOf(await client.callTool({ name: FACT, arguments: {} })).length > 0);
    writeFileSync(signal, 'Get a random fact of the day, with its source.');
    await waitForAudit(gw, (r) => r.event === 'pin_drift' && r.tool === 'get_fact_of_the_day', 15_000);
    const e = await rpcError(client.callTool({ name: FACT, arguments: {} }));
    assert.equal(e.data?.reason, 'UNKNOWN_TOOL', 'a drifted tool is hidden');
    await view('pins');
    const card = 'pc-pins .card[data-pin="facts__get_fact_of_the_day"]';
    await page.waitForSelector(card);
    assert.match((await page.textContent(`${card} pre`))!, /with its source/);
    await shot('4-pin-drift');
    await page.click(`${card} button:text("Approve")`);
    await waitForAudit(gw, (r) => r.event === 'pin_approved' && r.tool === 'get_fact_of_the_day', 15_000);
    for (let i = 0; ; i++) {
      try {
        assert.ok(textOf(await client.callTool({ name: FACT, arguments: {} })).length > 0);
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  test('the other views render: sessions, servers, alerts, quarantine, the report charts', async () => {
    await view('sessions');
    await page.waitForSelector('pc-sessions table');
    await view('servers');
    await page.waitForSelector('pc-servers tr[data-server="facts"]');
    await view('alerts');
    await page.waitForSelector('pc-alerts h2');
    await view('quarantine');
    await page.waitForSelector('pc-quarantine h2');
    await view('report');
    const frame = await (await page.waitForSelector('pc-report iframe')).contentFrame();
    await frame!.waitForSelector('#chart-hourly rect.bar', { state: 'attached' });
    const heights = await frame!.$$eval('#chart-hourly rect.bar', (els) => els.map((e) => Number(e.getAttribute('height'))));
    assert.ok(heights.some((x) => x > 0), 'this hour\'s traffic is charted');
    await shot('5-report');
    assert.deepEqual(errors, [], 'no script error and no CSP violation');
  });
});
