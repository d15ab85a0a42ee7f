/**
 * The HTML report, rendered by a real browser: headless Chromium (Debian `chromium`, driven by
 * playwright-core). The page must load nothing from anywhere (offline), run no script, show the
 * charts with one bar per hour, and the screenshot must actually contain the bars' colour.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { AUDIT_EVENTS } from '../../src/config/schema.ts';
import { SqliteEventStore } from '../../src/store/sqlite-event-store.ts';
import { StoreAuditSink } from '../../src/store/store-audit-sink.ts';
import { BIN, NODE } from '../helpers/gateway-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = mkdtempSync(join(tmpdir(), 'portcullis-report-'));
after(() => (process.env.KEEP_REPORT ? console.log(root) : rmSync(root, { recursive: true, force: true })));

/** Six hours of traffic ending now, one hour empty, alerts, a pin drift; hostile names included. */
async function fillStore(path: string): Promise<void> {
  const store = new SqliteEventStore(path);
  await store.migrate();
  const log = new AuditLog({ sinks: [new StoreAuditSink({ store })], events: AUDIT_EVENTS, level: 'detailed', checkpointEverySeconds: 0 });
  const now = Date.now();
  for (let h = 5; h >= 0; h--) {
    if (h === 2) continue;
    for (let i = 0; i < 10 + h * 7; i++) {
      const time = new Date(now - h * 3600_000 - i * 1000).toISOString();
      log.emit({ time, event: i % 4 === 0 ? 'tool_denied' : 'tool_invoked', tool: i % 3 ? 'read_file' : '<script>alert(1)</script>', server: 'files', connection: `http:10.0.0.${i % 5}:4000`, principal: 'alice' });
    }
  }
  log.emit({ event: 'alert_raised', severity: 'medium', reason: 'denied', detail: { alert: { type: 'HIGH_DENIED_TOOL_CALLS', message: '12 denied calls in 300s', data: {}, group: 'x', suppressed: 3 } } });
  log.emit({ event: 'alert_raised', severity: 'critical', reason: 'inj', detail: { alert: { type: 'INJECTION_ATTEMPT_DETECTED', message: 'injection <img src=x onerror=alert(1)>', data: {}, group: 'y', suppressed: 0 } } });
  log.emit({ event: 'pin_drift', server: 'files', tool: 'read_file', decision: 'deny', detail: { verdict: 'hidden until approved' } });
  await log.close();
}

describe('the HTML report in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium; .ci/run does)` }, () => {
  test('renders offline, without script, with its charts visible in a screenshot', async () => {
    const db = join(root, 'events.db');
    await fillStore(db);
    const html = join(root, 'report.html');
    const r = spawnSync(NODE, [BIN, 'report', '--since', '6h', '--format', 'html', '--out', html, '--db', db], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(html, 'utf8');
    assert.equal(text.includes('<script'), false, 'hostile names are escaped, and the report has no script');
    assert.match(text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await page.goto(`file://${html}`);
      assert.deepEqual(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')), [], 'nothing fetched from the network');
      assert.deepEqual(errors, []);
      assert.equal(dialogs, 0, 'no injected script ran');

      // One bar per hour of the range (7 buckets cover 6 h), zero-height for the empty hour.
      const heights = await page.$$eval('#chart-hourly rect.bar', (els) => els.map((e) => Number(e.getAttribute('height'))));
      assert.ok(heights.length >= 6 && heights.length <= 7, `hourly bars: ${heights.length}`);
      assert.equal(heights.filter((h) => h > 0).length, 5);
      assert.ok((await page.$$('#chart-severity rect.bar')).length >= 2);
      assert.ok((await page.$$('#chart-types rect.bar')).length >= 3);
      assert.equal(await page.textContent('#kpi-total'), String(10 + 17 + 31 + 38 + 45 + 3));
      assert.match((await page.textContent('body')) ?? '', /hidden until approved/);
      assert.match((await page.textContent('body')) ?? '', /INJECTION_ATTEMPT_DETECTED/);

      // The screenshot: the hourly chart really shows blue bars (#2563eb), the severity chart red.
      const shot = await page.locator('#chart-hourly').screenshot();
      writeFileSync(join(root, 'chart-hourly.png'), shot);
      await page.screenshot({ path: join(root, 'report.png'), fullPage: true });
      const count = async (png: Buffer, rgb: [number, number, number]) => {
        const p = await browser.newPage();
        try {
          return await p.evaluate(
            async ({ src, rgb }) => {
              // Runs in the page: the browser decodes its own screenshot.
              type Ctx = { drawImage(i: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
              const w = globalThis as unknown as {
                Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
                document: { createElement(t: 'canvas'): { width: number; height: number; getContext(k: '2d'): Ctx | null } };
              };
              const { Image, document } = w;
              const img = new Image();
              img.src = src;
              await img.decode();
              const c = document.createElement('canvas');
              c.width = img.width;
              c.height = img.height;
              const ctx = c.getContext('2d')!;
              ctx.drawImage(img, 0, 0);
              const d = ctx.getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) < 12 && Math.abs(d[i + 1] - rgb[1]) < 12 && Math.abs(d[i + 2] - rgb[2]) < 12) n++;
              return { n, total: d.length / 4 };
            },
            { src: `data:image/png;base64,${png.toString('base64')}`, rgb },
          );
        } finally {
          await p.close();
        }
      };
      const blue = await count(shot, [0x25, 0x63, 0xeb]);
      assert.ok(blue.n > blue.total * 0.03, `blue bar pixels in the hourly chart: ${blue.n} of ${blue.total}`);
      const sev = await page.locator('#chart-severity').screenshot();
      const slate = await count(sev, [0x64, 0x74, 0x8b]);
      assert.ok(slate.n > 500, `info (slate) bar pixels: ${slate.n}`);
      const red = await count(sev, [0xb9, 0x1c, 0x1c]);
      assert.ok(red.n > 0, 'the one critical event has its (red) bar');
    } finally {
      await browser.close();
    }
  });
});
