/** Where icons and `_meta` URLs may point (src/detect/metadata-urls.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iconAllowed, scanMetadataUrls, stripIcons } from '../../src/detect/metadata-urls.ts';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';
const HTTP_SERVER = 'https://mcp.example.com';
const rules = (def: Record<string, unknown>, origin?: string) => scanMetadataUrls(def, origin).map((f) => `${f.rule}@${f.path}`);

test('an icon is a raster data: URI or on the server’s own origin; nothing else', () => {
  assert.ok(iconAllowed(PNG, undefined));
  assert.ok(iconAllowed('data:image/webp,xyz', undefined));
  assert.ok(iconAllowed('https://mcp.example.com/icon.png', HTTP_SERVER));
  assert.ok(!iconAllowed('https://mcp.example.com/icon.png', undefined), 'a stdio server has no origin');
  assert.ok(!iconAllowed('https://tracker.example/p.png?u=1', HTTP_SERVER));
  assert.ok(!iconAllowed('https://mcp.example.com.evil.example/icon.png', HTTP_SERVER));
  assert.ok(!iconAllowed('http://mcp.example.com/icon.png', HTTP_SERVER), 'another scheme is another origin');
  assert.ok(!iconAllowed('data:image/svg+xml;base64,PHN2Zz4=', undefined), 'SVG can carry script and external references');
  assert.ok(!iconAllowed('data:text/html,<script>', undefined));
  assert.ok(!iconAllowed('javascript:alert(1)', undefined));
  assert.ok(!iconAllowed('file:///etc/passwd', undefined));
  assert.ok(!iconAllowed('/relative.png', HTTP_SERVER), 'what does not parse is not an icon a client would load');
  assert.ok(!iconAllowed(42, undefined));
});

test('stripping keeps the object when nothing goes, and drops only what the rule refuses', () => {
  const clean = { name: 't', icons: [{ src: PNG }] };
  assert.equal(stripIcons(clean, undefined), clean);
  const mixed = { name: 't', icons: [{ src: PNG }, { src: 'https://tracker.example/p.png' }] };
  assert.deepEqual(stripIcons(mixed, undefined).icons, [{ src: PNG }]);
  assert.equal(mixed.icons.length, 2, 'the cached definition is not changed');
  assert.equal(stripIcons({ name: 't', icons: [{ src: 'https://tracker.example/p.png' }] }, undefined).icons, undefined);
  assert.equal(stripIcons({ name: 't', icons: 'https://tracker.example/p.png' }, undefined).icons, undefined);
});

test('findings: foreign icons, a UI resource that is not ui://, foreign and unsafe URLs in _meta', () => {
  assert.deepEqual(rules({ icons: [{ src: PNG }, { src: 'https://tracker.example/p.png' }] }), ['metadata.foreign-icon@/icons/1/src']);
  assert.deepEqual(rules({ _meta: { ui: { resourceUri: 'ui://calc/app.html' } } }), []);
  assert.deepEqual(rules({ _meta: { ui: { resourceUri: 'https://evil.example/app.html' } } }), ['metadata.ui-resource-uri@/_meta/ui/resourceUri']);
  assert.deepEqual(rules({ _meta: { 'ui/resourceUri': 'https://evil.example/app.html' } }), ['metadata.ui-resource-uri@/_meta/ui~1resourceUri']);
  assert.deepEqual(rules({ _meta: { ui: { resourceUri: 7 } } }), ['metadata.ui-resource-uri@/_meta/ui/resourceUri']);
  assert.deepEqual(rules({ _meta: { docs: 'https://other.example/x', api: 'wss://mcp.example.com/live', self: 'https://mcp.example.com/a' } }, HTTP_SERVER), ['metadata.foreign-url@/_meta/docs']);
  assert.deepEqual(rules({ _meta: { open: 'javascript:fetch(1)' } }), ['metadata.unsafe-url@/_meta/open']);
  assert.deepEqual(rules({ _meta: { tags: ['math', 'fast'], note: 'plain text' } }), []);
  assert.deepEqual(rules({ websiteUrl: 'https://facts.example' }), [], 'a website is a link, not a fetch');
  assert.deepEqual(rules({ websiteUrl: 'javascript:alert(1)' }), ['metadata.unsafe-url@/websiteUrl']);
  assert.equal(scanMetadataUrls({ _meta: { ui: { resourceUri: 'https://evil.example' } } }, undefined)[0].severity, 'high');
  assert.equal(scanMetadataUrls({ icons: [{ src: 'https://t.example/p.png' }] }, undefined)[0].severity, 'medium');
});
