/**
 * URLs a server puts in its metadata, which a CLIENT fetches or renders on the server's word:
 * `icons[].src` (tools, prompts, resources, templates, serverInfo), `_meta` (MCP Apps'
 * `_meta.ui.resourceUri`, vendor keys) and serverInfo's `websiteUrl`. A client loads an icon
 * when it draws a list: an icon on another host is a tracking pixel (it tells that host who
 * listed the tools, when, from which IP) and a URL that can change what is drawn; a UI resource
 * URI that is not `ui://` makes the host render a page from somewhere else.
 *
 * The rule (MCP 2025-11-25 `Icon`: "Consumers SHOULD ensure URLs serving icons are from the same
 * domain as the client/server or a trusted domain"; SVG "can contain executable JavaScript"):
 * - an icon is kept when it is a `data:` URI of a raster image (png, jpeg, gif, webp), or an
 *   http(s) URL of the server's own origin (HTTP servers only: a stdio server has no origin).
 *   Anything else (another host, SVG, `javascript:`, `file:`) is stripped from what clients see
 *   and reported as `metadata.foreign-icon`;
 * - `_meta.ui.resourceUri` (and the older `_meta["ui/resourceUri"]`) must be a `ui://` URI
 *   (MCP Apps, SEP-1865): anything else is `metadata.ui-resource-uri` (high: blocked);
 * - any other http(s)/ws(s) URL in `_meta` on another origin is `metadata.foreign-url` (medium:
 *   flagged), a `javascript:`/`vbscript:`/`file:` URL anywhere here is `metadata.unsafe-url`.
 * URLs are parsed with WHATWG `URL`, never matched by pattern; one that does not parse is not
 * a URL a client would load.
 */
import type { Finding } from './finding.ts';
import { excerptOf } from './poisoning.ts';

const RASTER = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const FETCHED = new Set(['http:', 'https:', 'ws:', 'wss:']);
const UNSAFE = new Set(['javascript:', 'vbscript:', 'file:']);
const MAX_ICONS = 64;
const MAX_META_STRINGS = 500;
const MAX_DEPTH = 12;

function parse(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

/** May a client be given this icon? `origin`: the server's own (HTTP servers), if any. */
export function iconAllowed(src: unknown, origin: string | undefined): boolean {
  if (typeof src !== 'string') return false;
  const u = parse(src);
  if (!u) return false;
  if (u.protocol === 'data:') {
    const type = u.pathname.slice(0, 16).toLowerCase();
    return RASTER.some((t) => type.startsWith(`${t};`) || type.startsWith(`${t},`));
  }
  return (u.protocol === 'https:' || u.protocol === 'http:') && origin !== undefined && u.origin === origin;
}

/** The definition as clients get it: icons the rule refuses removed (the same object when none is). */
export function stripIcons<T extends Record<string, unknown>>(def: T, origin: string | undefined): T {
  const icons = def.icons;
  if (icons === undefined) return def;
  if (!Array.isArray(icons)) return { ...def, icons: undefined };
  const kept = icons.slice(0, MAX_ICONS).filter((i) => i && typeof i === 'object' && iconAllowed((i as { src?: unknown }).src, origin));
  return kept.length === icons.length ? def : { ...def, icons: kept.length ? kept : undefined };
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const quote = (s: string) => excerptOf(s, 0, Math.min(s.length, 80));

/** Findings for the icons, `_meta` URLs and `websiteUrl` of one definition. */
export function scanMetadataUrls(def: Record<string, unknown>, origin: string | undefined): Finding[] {
  const out: Finding[] = [];
  if (Array.isArray(def.icons)) {
    def.icons.slice(0, MAX_ICONS).forEach((icon, i) => {
      const src = (icon as { src?: unknown } | null)?.src;
      if (iconAllowed(src, origin)) return;
      out.push({ category: 'metadata', rule: 'metadata.foreign-icon', severity: 'medium', path: `/icons/${i}/src`, excerpt: quote(typeof src === 'string' ? src : String(src)) });
    });
  }
  if (typeof def.websiteUrl === 'string') {
    const u = parse(def.websiteUrl);
    if (u && u.protocol !== 'https:' && u.protocol !== 'http:') out.push({ category: 'metadata', rule: 'metadata.unsafe-url', severity: 'high', path: '/websiteUrl', excerpt: quote(def.websiteUrl) });
  }
  const meta = def._meta;
  if (meta && typeof meta === 'object') {
    let n = 0;
    const walk = (v: unknown, path: string, depth: number) => {
      if (n >= MAX_META_STRINGS || depth > MAX_DEPTH) return;
      if (typeof v === 'string') {
        n++;
        const f = metaUrlFinding(path, v, origin);
        if (f) out.push(f);
      } else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${path}/${esc(k)}`, depth + 1);
      }
    };
    walk(meta, '/_meta', 0);
    // A UI resource declared with no usable URI at all is as unknown as a foreign one.
    const ui = (meta as Record<string, { resourceUri?: unknown } | undefined>).ui;
    if (ui && typeof ui === 'object' && 'resourceUri' in ui && typeof ui.resourceUri !== 'string') {
      out.push({ category: 'metadata', rule: 'metadata.ui-resource-uri', severity: 'high', path: '/_meta/ui/resourceUri', excerpt: quote(String(ui.resourceUri)) });
    }
  }
  return out;
}

function metaUrlFinding(path: string, s: string, origin: string | undefined): Finding | undefined {
  const u = parse(s);
  if (path === '/_meta/ui/resourceUri' || path === '/_meta/ui~1resourceUri') {
    return u?.protocol === 'ui:' ? undefined : { category: 'metadata', rule: 'metadata.ui-resource-uri', severity: 'high', path, excerpt: quote(s) };
  }
  if (!u) return undefined;
  if (UNSAFE.has(u.protocol)) return { category: 'metadata', rule: 'metadata.unsafe-url', severity: 'high', path, excerpt: quote(s) };
  if (FETCHED.has(u.protocol) && !sameOrigin(u, origin)) return { category: 'metadata', rule: 'metadata.foreign-url', severity: 'medium', path, excerpt: quote(s) };
  return undefined;
}

/** ws(s) compares with the http(s) origin of the same host. */
function sameOrigin(u: URL, origin: string | undefined): boolean {
  if (!origin) return false;
  const as = u.protocol === 'ws:' ? 'http:' : u.protocol === 'wss:' ? 'https:' : u.protocol;
  return `${as}//${u.host}` === origin;
}
